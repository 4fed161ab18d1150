import { createHash, randomUUID } from "node:crypto"
import type * as Http from "node:http"
import { Effect, type Scope } from "effect"
import * as Jose from "jose"
import * as LocalServer from "./LocalServer"

/**
 * A local stand-in for Supabase Auth (GoTrue) with its real endpoint shapes, for browsers and clients that sign in
 * for real: `POST /auth/v1/token?grant_type=password|refresh_token|pkce`, `POST /auth/v1/otp` (the magic link is
 * kept in `outbox` instead of mailed), `GET /auth/v1/verify` (the link itself: redirects back signed in), `GET
 * /auth/v1/user`, `POST /auth/v1/logout`. Access tokens are HS256 JWTs signed with `jwtSecret`, with the claims
 * Supabase puts in them (`iss` `<origin>/auth/v1`, `aud`/`role` `authenticated`, `email`, `app_metadata`), so a
 * service configured with the same `SUPABASE_URL` and `SUPABASE_JWT_SECRET` accepts them. Every answer carries CORS
 * headers, as Supabase's do: the browser calls it from the console's origin.
 */

export interface Account {
  readonly email: string
  /** `undefined`: the account signs in only by magic link. */
  readonly password?: string
  /** `app_metadata.role`, e.g. `admin`. */
  readonly role?: string
}

export interface MagicLink {
  readonly email: string
  readonly url: string
}

export interface SupabaseAuthServer {
  readonly origin: string
  /** What the console needs: `SUPABASE_URL`, `SUPABASE_ANON_KEY`, `SUPABASE_JWT_SECRET`. */
  readonly env: Readonly<Record<string, string>>
  readonly log: LocalServer.RequestLog
  /** The magic links sent, oldest first. */
  readonly outbox: ReadonlyArray<MagicLink>
  /** Every access token issued, oldest first, with the grant that issued it. */
  readonly issued: ReadonlyArray<{ readonly grant: string; readonly email: string; readonly accessToken: string }>
  /** A user's id (made on first sign-in, or on `signUp`). */
  readonly userId: (email: string) => string | undefined
}

export interface Options {
  readonly jwtSecret?: string
  readonly anonKey?: string
  readonly accounts?: ReadonlyArray<Account>
  /** Seconds an access token lives (Supabase's default is 3600). */
  readonly expiresIn?: number
}

const cors: Http.OutgoingHttpHeaders = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
  "access-control-max-age": "600"
}

const base64url = (bytes: Buffer) => bytes.toString("base64url")

export const make = (options: Options = {}): Effect.Effect<SupabaseAuthServer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const jwtSecret = options.jwtSecret ?? "simulated-supabase-jwt-secret-at-least-32-chars"
    const anonKey = options.anonKey ?? "simulated-anon-key"
    const expiresIn = options.expiresIn ?? 3600
    const key = new TextEncoder().encode(jwtSecret)
    const accounts = new Map((options.accounts ?? []).map((a) => [a.email.toLowerCase(), a]))
    const ids = new Map<string, string>()
    const refreshTokens = new Map<string, { readonly email: string; readonly session: string }>()
    const otps = new Map<string, { readonly email: string; readonly challenge: string | null }>()
    const codes = new Map<string, { readonly email: string; readonly challenge: string }>()
    const revoked = new Set<string>()
    const outbox: Array<MagicLink> = []
    const issued: Array<{ grant: string; email: string; accessToken: string }> = []
    let origin = ""

    const idOf = (email: string) => {
      const known = ids.get(email)
      if (known !== undefined) return known
      const id = randomUUID()
      ids.set(email, id)
      return id
    }
    const userOf = (email: string) => {
      const role = accounts.get(email)?.role
      const now = new Date().toISOString()
      return {
        id: idOf(email),
        aud: "authenticated",
        role: "authenticated",
        email,
        email_confirmed_at: now,
        phone: "",
        app_metadata: { provider: "email", providers: ["email"], ...(role === undefined ? {} : { role }) },
        user_metadata: {},
        identities: [],
        created_at: now,
        updated_at: now,
        last_sign_in_at: now
      }
    }
    const sessionFor = async (grant: string, email: string, sessionId: string = randomUUID()) => {
      const user = userOf(email)
      const now = Math.floor(Date.now() / 1000)
      const accessToken = await new Jose.SignJWT({
        sub: user.id,
        aud: "authenticated",
        role: "authenticated",
        email,
        phone: "",
        app_metadata: user.app_metadata,
        user_metadata: {},
        aal: "aal1",
        amr: [{ method: grant === "password" ? "password" : "otp", timestamp: now }],
        session_id: sessionId,
        is_anonymous: false
      })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(`${origin}/auth/v1`)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresIn)
        .sign(key)
      const refreshToken = base64url(Buffer.from(randomUUID().replace(/-/g, ""), "hex"))
      refreshTokens.set(refreshToken, { email, session: sessionId })
      issued.push({ grant, email, accessToken })
      return {
        access_token: accessToken,
        token_type: "bearer",
        expires_in: expiresIn,
        expires_at: now + expiresIn,
        refresh_token: refreshToken,
        user
      }
    }
    /** GoTrue's error shape without the API-version header: `{ code, error_code, msg }`. */
    const refuse = (res: Http.ServerResponse, status: number, errorCode: string, msg: string) =>
      LocalServer.sendJson(res, status, { code: status, error_code: errorCode, msg }, cors)
    const bodyOf = (request: LocalServer.LoggedRequest): Record<string, unknown> => {
      try {
        const parsed: unknown = JSON.parse(request.body)
        return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {}
      } catch {
        return {}
      }
    }
    const bearer = async (request: LocalServer.LoggedRequest) => {
      const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1]
      if (token === undefined) return undefined
      try {
        const { payload } = await Jose.jwtVerify(token, key, { issuer: `${origin}/auth/v1`, audience: "authenticated" })
        const session = typeof payload.session_id === "string" ? payload.session_id : ""
        return revoked.has(session) ? undefined : { email: String(payload.email), session }
      } catch {
        return undefined
      }
    }

    const server = yield* LocalServer.make(async (request, res) => {
      if (request.method === "OPTIONS") {
        res.writeHead(204, cors).end()
        return
      }
      if (request.headers.apikey !== anonKey && request.path !== "/auth/v1/verify") {
        return refuse(res, 401, "no_api_key", "No API key found in request")
      }
      const body = bodyOf(request)
      switch (`${request.method} ${request.path}`) {
        case "POST /auth/v1/token": {
          const grant = request.query.get("grant_type") ?? ""
          if (grant === "password") {
            const email = String(body.email ?? "").toLowerCase()
            const account = accounts.get(email)
            if (account?.password === undefined || account.password !== body.password) {
              return refuse(res, 400, "invalid_credentials", "Invalid login credentials")
            }
            return LocalServer.sendJson(res, 200, await sessionFor(grant, email), cors)
          }
          if (grant === "refresh_token") {
            const token = String(body.refresh_token ?? "")
            const known = refreshTokens.get(token)
            if (known === undefined || revoked.has(known.session)) {
              return refuse(res, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
            }
            refreshTokens.delete(token)
            return LocalServer.sendJson(res, 200, await sessionFor(grant, known.email, known.session), cors)
          }
          if (grant === "pkce") {
            const code = codes.get(String(body.auth_code ?? ""))
            const verifier = String(body.code_verifier ?? "")
            if (code === undefined)
              return refuse(res, 404, "flow_state_not_found", "invalid flow state, no valid flow state found")
            codes.delete(String(body.auth_code))
            if (base64url(createHash("sha256").update(verifier).digest()) !== code.challenge) {
              return refuse(
                res,
                403,
                "bad_code_verifier",
                "code challenge does not match previously saved code verifier"
              )
            }
            return LocalServer.sendJson(res, 200, await sessionFor(grant, code.email), cors)
          }
          return refuse(res, 400, "unsupported_grant_type", "unsupported_grant_type")
        }
        case "POST /auth/v1/otp": {
          const email = String(body.email ?? "").toLowerCase()
          if (!email.includes("@"))
            return refuse(res, 400, "validation_failed", "Unable to validate email address: invalid format")
          const challenge = typeof body.code_challenge === "string" ? body.code_challenge : null
          const token = base64url(Buffer.from(randomUUID().replace(/-/g, ""), "hex"))
          otps.set(token, { email, challenge })
          const redirectTo = request.query.get("redirect_to") ?? ""
          const link = new URL(`${origin}/auth/v1/verify`)
          link.searchParams.set("token", token)
          link.searchParams.set("type", "magiclink")
          if (redirectTo !== "") link.searchParams.set("redirect_to", redirectTo)
          outbox.push({ email, url: link.toString() })
          return LocalServer.sendJson(res, 200, {}, cors)
        }
        case "GET /auth/v1/verify": {
          const token = request.query.get("token") ?? ""
          const otp = otps.get(token)
          const redirectTo = new URL(request.query.get("redirect_to") || origin)
          if (otp === undefined) {
            redirectTo.hash =
              "error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired"
          } else if (otp.challenge !== null) {
            // PKCE: the browser comes back with a code that only its own verifier can exchange.
            const code = randomUUID()
            codes.set(code, { email: otp.email, challenge: otp.challenge })
            redirectTo.searchParams.set("code", code)
          } else {
            const session = await sessionFor("magiclink", otp.email)
            redirectTo.hash = new URLSearchParams({
              access_token: session.access_token,
              expires_at: String(session.expires_at),
              expires_in: String(session.expires_in),
              refresh_token: session.refresh_token,
              token_type: "bearer",
              type: "magiclink"
            }).toString()
          }
          otps.delete(token)
          res.writeHead(303, { location: redirectTo.toString() }).end()
          return
        }
        case "GET /auth/v1/user": {
          const who = await bearer(request)
          if (who === undefined) return refuse(res, 403, "bad_jwt", "invalid JWT: unable to parse or verify signature")
          return LocalServer.sendJson(res, 200, userOf(who.email), cors)
        }
        case "POST /auth/v1/logout": {
          const who = await bearer(request)
          if (who !== undefined) revoked.add(who.session)
          res.writeHead(204, cors).end()
          return
        }
        case "GET /auth/v1/.well-known/jwks.json":
          return LocalServer.sendJson(res, 200, { keys: [] }, cors)
        default:
          return refuse(res, 404, "not_found", "Not Found")
      }
    })
    origin = server.origin
    return {
      origin,
      env: { SUPABASE_URL: origin, SUPABASE_ANON_KEY: anonKey, SUPABASE_JWT_SECRET: jwtSecret },
      log: server.log,
      outbox,
      issued,
      userId: (email) => ids.get(email.toLowerCase())
    }
  })
