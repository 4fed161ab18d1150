import { randomBytes } from "node:crypto"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { AuthUser } from "@scribe/core/auth/AuthUser"
import { TokenVerifier, Unauthenticated } from "@scribe/core/auth/TokenVerifier"
import { Clock, Config, ConfigError, Context, Effect, Layer, Option, Redacted } from "effect"
import * as Jose from "jose"
import { optionalString } from "../ops/ConfigReaders"
import { classify, JoseError, userOf } from "./SupabaseClaims"

/** Algorithms accepted from the JWKS; HS256 is only ever checked against the shared secret. */
const asymmetricAlgorithms: ReadonlyArray<string> = ["RS256", "ES256", "EdDSA", "Ed25519"]
const clockToleranceSeconds = 30
const maxTokenLength = 16_384
const devTokenLifetimeSeconds = 30 * 24 * 60 * 60
/** A verified token is remembered at most this long, so a key dropped from the JWKS stops being honoured after it. */
const verifiedTokenTtlMs = 5 * 60 * 1000
const verifiedTokenCapacity = 10_000

export interface Options {
  readonly jwtSecret: Option.Option<Redacted.Redacted<string>>
  readonly supabaseUrl: Option.Option<string>
  readonly audience: string
  /** Defaults to `${supabaseUrl}/auth/v1/.well-known/jwks.json`. */
  readonly jwksUrl?: string
}

/** Mints a ready HS256 access token for a user; only present when the service generated its own dev secret. */
export type MintDevToken = (user: { readonly id: string; readonly email: string | null }) => Effect.Effect<string>

export class DevAuth extends Context.Tag("@scribe/adapters/SupabaseAuth/DevAuth")<
  DevAuth,
  {
    readonly mintToken: Option.Option<MintDevToken>
    /** Where the dev secret is kept (its tokens outlive a restart); `None` when it lives in this process only. */
    readonly secretFile: Option.Option<string>
  }
>() {}

const secretBytes = (secret: Redacted.Redacted<string> | string | Uint8Array): Uint8Array =>
  secret instanceof Uint8Array
    ? secret
    : new TextEncoder().encode(typeof secret === "string" ? secret : Redacted.value(secret))

/** Signs `claims` as they are with HS256 (no defaults added). */
export const signHs256 = (
  secret: Redacted.Redacted<string> | string | Uint8Array,
  claims: Jose.JWTPayload
): Effect.Effect<string> =>
  Effect.promise(() =>
    new Jose.SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secretBytes(secret))
  )

const invalid = (path: string, message: string) => Effect.fail(ConfigError.InvalidData([path], message))

interface Resolved {
  readonly secret: Option.Option<Uint8Array>
  readonly issuer: Option.Option<string>
  readonly jwksUrl: Option.Option<URL>
}

const resolve = (options: Options): Effect.Effect<Resolved, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    const secret = Option.filter(options.jwtSecret, (s) => Redacted.value(s).length > 0)
    const base = Option.filter(
      Option.map(options.supabaseUrl, (u) => u.trim().replace(/\/+$/, "")),
      (u) => u.length > 0
    )
    if (Option.isSome(base) && !URL.canParse(base.value)) {
      return yield* invalid("SUPABASE_URL", "SUPABASE_URL must be an absolute URL")
    }
    const jwksHref =
      options.jwksUrl !== undefined
        ? Option.some(options.jwksUrl)
        : Option.map(base, (u) => `${u}/auth/v1/.well-known/jwks.json`)
    if (Option.isSome(jwksHref) && !URL.canParse(jwksHref.value)) {
      return yield* invalid("SUPABASE_URL", "the JWKS URL must be an absolute URL")
    }
    if (Option.isNone(secret) && Option.isNone(jwksHref)) {
      return yield* Effect.fail(
        ConfigError.MissingData([], "Authentication is not configured: set SUPABASE_JWT_SECRET and/or SUPABASE_URL")
      )
    }
    if (options.audience.trim().length === 0) {
      return yield* invalid("SUPABASE_JWT_AUDIENCE", "SUPABASE_JWT_AUDIENCE must not be empty")
    }
    return {
      secret: Option.map(secret, secretBytes),
      issuer: Option.map(base, (u) => `${u}/auth/v1`),
      jwksUrl: Option.map(jwksHref, (href) => new URL(href))
    }
  })

const fail = (reason: string) => Effect.fail(new Unauthenticated({ reason }))

/** Builds a `TokenVerifier` that checks Supabase access tokens locally. */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<TokenVerifier>, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    const { issuer, jwksUrl, secret } = yield* resolve(options)
    const jwks = Option.map(jwksUrl, (url) => Jose.createRemoteJWKSet(url))
    const audience = options.audience

    const verifyOptions = (algorithms: Array<string>, now: number): Jose.JWTVerifyOptions => ({
      algorithms,
      audience,
      requiredClaims: ["exp"],
      clockTolerance: clockToleranceSeconds,
      currentDate: new Date(now),
      ...(Option.isSome(issuer) ? { issuer: issuer.value } : {})
    })

    const jose = (run: () => Promise<Jose.JWTVerifyResult>) =>
      Effect.tryPromise({ try: run, catch: (cause) => new JoseError({ cause }) }).pipe(
        Effect.map((result) => result.payload),
        Effect.catchTag("JoseError", classify)
      )

    // Clients poll every 2 s with the same token: a verified token is remembered by its exact text (signature
    // included) until it expires, at most `verifiedTokenTtlMs`, so a poll costs no signature check. Refusals are
    // never remembered.
    const verifiedTokens = new Map<string, { readonly user: AuthUser; readonly until: number }>()

    const verify = Effect.fn("SupabaseAuth.verify")(function* (token: Redacted.Redacted<string>) {
      const jwt = Redacted.value(token).trim()
      if (jwt.length === 0) return yield* fail("Not authenticated")
      if (jwt.length > maxTokenLength) return yield* fail("Invalid token")
      const now = yield* Clock.currentTimeMillis
      const remembered = verifiedTokens.get(jwt)
      if (remembered !== undefined) {
        if (now < remembered.until) return remembered.user
        verifiedTokens.delete(jwt)
      }

      const header = yield* Effect.try({
        try: () => Jose.decodeProtectedHeader(jwt),
        catch: () => new Unauthenticated({ reason: "Invalid token" })
      })
      // The header only picks among the configured verifiers; each verifier pins its own algorithms.
      const alg = header.alg ?? "none"
      const verified =
        alg === "HS256" && Option.isSome(secret)
          ? jose(() => Jose.jwtVerify(jwt, secret.value, verifyOptions(["HS256"], now)))
          : asymmetricAlgorithms.includes(alg) && Option.isSome(jwks)
            ? jose(() => Jose.jwtVerify(jwt, jwks.value, verifyOptions([...asymmetricAlgorithms], now)))
            : fail("Invalid token")
      const payload = yield* verified

      const user = yield* userOf(payload)
      if (typeof payload.exp === "number") {
        if (verifiedTokens.size >= verifiedTokenCapacity) verifiedTokens.clear()
        const expires = (payload.exp + clockToleranceSeconds) * 1000
        verifiedTokens.set(jwt, { user, until: Math.min(expires, now + verifiedTokenTtlMs) })
      }
      return user
    })

    return TokenVerifier.of({ verify })
  })

const mintWith =
  (secret: Redacted.Redacted<string>, audience: string): MintDevToken =>
  (user) =>
    Effect.gen(function* () {
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      return yield* signHs256(secret, {
        sub: user.id,
        ...(user.email !== null ? { email: user.email } : {}),
        aud: audience,
        role: "authenticated",
        iat: now,
        exp: now + devTokenLifetimeSeconds
      })
    })

/** The verifier from explicit options; `DevAuth` mints nothing. */
export const layer = (options: Options): Layer.Layer<TokenVerifier | DevAuth, ConfigError.ConfigError> =>
  Layer.merge(
    Layer.effect(TokenVerifier, make(options)),
    Layer.succeed(DevAuth, { mintToken: Option.none(), secretFile: Option.none() })
  )

/**
 * The dev secret of a data directory: read from `<dataDir>/dev-jwt-secret`, or created there (owner-only) on first
 * start, so dev tokens keep working across restarts as the data do. `memory` keeps a random one in this process.
 */
const devSecret = (dataDir: string) =>
  Effect.try({
    try: (): { readonly secret: Redacted.Redacted<string>; readonly file: Option.Option<string> } => {
      const fresh = randomBytes(32).toString("base64url")
      if (dataDir === "memory") return { secret: Redacted.make(fresh), file: Option.none() }
      const file = join(dataDir, "dev-jwt-secret")
      mkdirSync(dataDir, { recursive: true, mode: 0o700 })
      try {
        writeFileSync(file, `${fresh}\n`, { flag: "wx", mode: 0o600 })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      }
      chmodSync(file, 0o600)
      const kept = readFileSync(file, "utf8").trim()
      if (kept.length < 32) throw new Error(`${file} holds no usable secret (delete it to have a new one made)`)
      return { secret: Redacted.make(kept), file: Option.some(file) }
    },
    catch: (cause) => ConfigError.MissingData(["SCRIBE_DATA_DIR"], `Cannot keep the dev JWT secret: ${String(cause)}`)
  })

/**
 * Reads SUPABASE_JWT_SECRET, SUPABASE_URL and SUPABASE_JWT_AUDIENCE. With neither secret nor URL, production fails at
 * start; elsewhere a dev secret kept in `SCRIBE_DATA_DIR` (see `devSecret`) is used and `DevAuth` can mint tokens for it.
 */
export const layerConfig: Layer.Layer<TokenVerifier | DevAuth, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const jwtSecret = yield* Config.option(Config.redacted("SUPABASE_JWT_SECRET")).pipe(
      Config.map(Option.filter((s) => Redacted.value(s).length > 0))
    )
    const supabaseUrl = yield* optionalString("SUPABASE_URL")
    const audience = yield* Config.string("SUPABASE_JWT_AUDIENCE").pipe(Config.withDefault("authenticated"))
    const nodeEnv = yield* Config.string("NODE_ENV").pipe(Config.withDefault("development"))

    if (Option.isSome(jwtSecret) || Option.isSome(supabaseUrl)) {
      return layer({ jwtSecret, supabaseUrl, audience })
    }
    if (nodeEnv === "production") {
      return Layer.fail(
        ConfigError.MissingData(
          [],
          "Authentication is not configured: set SUPABASE_JWT_SECRET and/or SUPABASE_URL (required when NODE_ENV=production)"
        )
      )
    }
    const dataDir = (yield* Config.string("SCRIBE_DATA_DIR").pipe(Config.withDefault(".scribe/"))).trim()
    const dev = yield* devSecret(dataDir === "" ? ".scribe/" : dataDir)
    yield* Effect.logWarning(
      `SupabaseAuth: neither SUPABASE_JWT_SECRET nor SUPABASE_URL is set; using a local dev secret (${Option.getOrElse(
        dev.file,
        () => "this process only"
      )})`
    )
    return Layer.merge(
      Layer.effect(TokenVerifier, make({ jwtSecret: Option.some(dev.secret), supabaseUrl: Option.none(), audience })),
      Layer.succeed(DevAuth, { mintToken: Option.some(mintWith(dev.secret, audience)), secretFile: dev.file })
    )
  })
)
