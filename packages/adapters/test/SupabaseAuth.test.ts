import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it, layer } from "@effect/vitest"
import { TokenVerifier } from "@scribe/core/auth/TokenVerifier"
import { Clock, ConfigProvider, Context, Effect, Layer, Option, Redacted, TestClock } from "effect"
import * as Jose from "jose"
import * as SupabaseAuth from "../src/auth/SupabaseAuth"
import { edKid, JwksServer, kid } from "../testkit/JwksServer"

type Verifier = Context.Tag.Service<TokenVerifier>

const secret = "super-secret-jwt-token-with-at-least-32-characters-long"

/** Verifiers built once against the server: every configuration the matrix needs. */
class Verifiers extends Context.Tag("@scribe/adapters/test/SupabaseAuth/Verifiers")<
  Verifiers,
  {
    readonly full: Verifier
    readonly jwksOnly: Verifier
    readonly secretOnly: Verifier
    readonly brokenJwks: Verifier
  }
>() {
  static readonly layer = Layer.effect(
    Verifiers,
    Effect.gen(function* () {
      const { url } = yield* JwksServer
      const audience = "authenticated"
      const jwtSecret = Option.some(Redacted.make(secret))
      return {
        full: yield* SupabaseAuth.make({ jwtSecret, supabaseUrl: Option.some(url), audience }),
        jwksOnly: yield* SupabaseAuth.make({ jwtSecret: Option.none(), supabaseUrl: Option.some(`${url}/`), audience }),
        secretOnly: yield* SupabaseAuth.make({ jwtSecret, supabaseUrl: Option.none(), audience }),
        brokenJwks: yield* SupabaseAuth.make({
          jwtSecret: Option.none(),
          supabaseUrl: Option.some(url),
          jwksUrl: `${url}/broken/auth/v1/.well-known/jwks.json`,
          audience
        })
      }
    })
  ).pipe(Layer.provideMerge(JwksServer.layer))
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** Supabase user ids are UUIDs. */
const userId = "4f8c2a57-1e0b-4c7e-9a31-6d2b8f0e5c19"
const devUserId = "00000000-0000-4000-8000-000000000001"

const userClaims = (issuer: string | undefined): Jose.JWTPayload => ({
  sub: userId,
  email: "ada@example.com",
  aud: "authenticated",
  role: "authenticated",
  ...(issuer !== undefined ? { iss: issuer } : {}),
  iat: nowSeconds(),
  exp: nowSeconds() + 3600
})

const without = (claims: Jose.JWTPayload, key: string): Jose.JWTPayload =>
  Object.fromEntries(Object.entries(claims).filter(([k]) => k !== key))

const signWith = (key: Jose.CryptoKey | Uint8Array, header: Jose.JWTHeaderParameters, claims: Jose.JWTPayload) =>
  Effect.promise(() => new Jose.SignJWT(claims).setProtectedHeader({ typ: "JWT", ...header }).sign(key))

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

const accept = (verifier: Verifier, token: string) => verifier.verify(Redacted.make(token))

const refuse = (verifier: Verifier, token: string) =>
  verifier.verify(Redacted.make(token)).pipe(
    Effect.flip,
    Effect.map((error) => {
      expect(error._tag).toBe("Unauthenticated")
      return error.reason
    })
  )

// Declared before the `layer(...)` suite: in @effect/vitest 0.30 `layer` reassigns the shared `it.effect`, so
// `it.effect` tests declared after it in this file would run in that suite's runtime (real clock, no TestClock).
describe("SupabaseAuth", () => {
  it.effect("uses Effect's Clock for expiry", () =>
    Effect.gen(function* () {
      const verifier = yield* SupabaseAuth.make({
        jwtSecret: Option.some(Redacted.make(secret)),
        supabaseUrl: Option.none(),
        audience: "authenticated"
      })
      const token = yield* SupabaseAuth.signHs256(secret, { ...userClaims(undefined), iat: 0, exp: 60 })
      expect((yield* accept(verifier, token)).id).toBe(userId)
      yield* TestClock.adjust("2 minutes")
      expect(yield* refuse(verifier, token)).toBe("Token expired")
    })
  )

  it.effect("make refuses a configuration that verifies nothing", () =>
    Effect.gen(function* () {
      const error = yield* SupabaseAuth.make({
        jwtSecret: Option.some(Redacted.make("")),
        supabaseUrl: Option.none(),
        audience: "authenticated"
      }).pipe(Effect.flip)
      expect(String(error)).toContain("SUPABASE_JWT_SECRET")
    })
  )

  describe("layerConfig", () => {
    const build = (env: Record<string, string>) =>
      Effect.gen(function* () {
        return { verifier: yield* TokenVerifier, devAuth: yield* SupabaseAuth.DevAuth }
      }).pipe(
        Effect.provide(
          SupabaseAuth.layerConfig.pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
          )
        )
      )

    it.effect("generates a dev secret when nothing is configured, and its dev token verifies", () =>
      Effect.gen(function* () {
        const { verifier, devAuth } = yield* build({ NODE_ENV: "development", SCRIBE_DATA_DIR: "memory" })
        const mint = Option.getOrThrow(devAuth.mintToken)
        const token = yield* mint({ id: devUserId, email: "dev@localhost" })
        expect(yield* verifier.verify(Redacted.make(token))).toEqual({ id: devUserId, email: "dev@localhost" })
        const claims = Jose.decodeJwt(token)
        expect(claims).toMatchObject({ aud: "authenticated", role: "authenticated", sub: devUserId })
        expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(30 * 24 * 60 * 60)

        // In memory, a second start gets another secret: its tokens are worthless elsewhere.
        expect(devAuth.secretFile).toEqual(Option.none())
        const other = yield* build({ SCRIBE_DATA_DIR: "memory" })
        expect(yield* refuse(other.verifier, token)).toBe("Invalid token")
      })
    )

    it.effect("keeps the dev secret in the data directory, owner-only, so dev tokens outlive a restart", () =>
      Effect.gen(function* () {
        const dataDir = join(mkdtempSync(join(tmpdir(), "scribe-auth-")), "data")
        try {
          const first = yield* build({ SCRIBE_DATA_DIR: dataDir })
          const file = join(dataDir, "dev-jwt-secret")
          expect(first.devAuth.secretFile).toEqual(Option.some(file))
          expect(statSync(file).mode & 0o777).toBe(0o600)
          const token = yield* Option.getOrThrow(first.devAuth.mintToken)({ id: devUserId, email: null })

          const restarted = yield* build({ SCRIBE_DATA_DIR: dataDir })
          expect((yield* restarted.verifier.verify(Redacted.make(token))).id).toBe(devUserId)

          // Another data directory has its own secret.
          const elsewhere = yield* build({ SCRIBE_DATA_DIR: join(dataDir, "other") })
          expect(yield* refuse(elsewhere.verifier, token)).toBe("Invalid token")

          // A damaged secret file stops the start with a clear reason instead of signing with it.
          writeFileSync(file, "short\n")
          expect(String(yield* Effect.flip(build({ SCRIBE_DATA_DIR: dataDir })))).toContain("dev-jwt-secret")
        } finally {
          rmSync(dirname(dataDir), { recursive: true, force: true })
        }
      })
    )

    it.effect("fails at start in production when nothing is configured, naming the variables", () =>
      Effect.gen(function* () {
        for (const env of [
          { NODE_ENV: "production" },
          { NODE_ENV: "production", SUPABASE_JWT_SECRET: "", SUPABASE_URL: " " }
        ]) {
          const error = yield* build(env).pipe(Effect.flip)
          expect(String(error)).toContain("SUPABASE_JWT_SECRET")
          expect(String(error)).toContain("SUPABASE_URL")
        }
      })
    )

    it.effect("uses the configured secret and audience, without a dev token", () =>
      Effect.gen(function* () {
        const { verifier, devAuth } = yield* build({
          NODE_ENV: "production",
          SUPABASE_JWT_SECRET: secret,
          SUPABASE_JWT_AUDIENCE: "my-app"
        })
        expect(Option.isNone(devAuth.mintToken)).toBe(true)
        const now = yield* Clock.currentTimeMillis
        const claims = { ...userClaims(undefined), aud: "my-app", iat: 0, exp: Math.floor(now / 1000) + 60 }
        expect((yield* verifier.verify(Redacted.make(yield* SupabaseAuth.signHs256(secret, claims)))).id).toBe(userId)
        const defaultAud = yield* SupabaseAuth.signHs256(secret, { ...claims, aud: "authenticated" })
        expect(yield* refuse(verifier, defaultAud)).toBe("Invalid audience")
      })
    )

    it.effect("fails at start on an invalid SUPABASE_URL", () =>
      Effect.gen(function* () {
        const error = yield* build({ SUPABASE_URL: "not a url" }).pipe(Effect.flip)
        expect(String(error)).toContain("SUPABASE_URL")
      })
    )
  })
})

layer(Verifiers.layer, { excludeTestServices: true })("SupabaseAuth against a local JWKS", (it) => {
  const setup = Effect.gen(function* () {
    const server = yield* JwksServer
    const verifiers = yield* Verifiers
    return { ...server, ...verifiers, issuer: `${server.url}/auth/v1` }
  })

  it.effect("accepts an HS256 user token signed with the secret", () =>
    Effect.gen(function* () {
      const { full, secretOnly, issuer } = yield* setup
      const user = yield* accept(full, yield* SupabaseAuth.signHs256(Redacted.make(secret), userClaims(issuer)))
      expect(user).toEqual({ id: userId, email: "ada@example.com" })
      const noIss = yield* accept(secretOnly, yield* SupabaseAuth.signHs256(secret, userClaims(undefined)))
      expect(noIss.id).toBe(userId)
    })
  )

  it.effect("accepts an ES256 token whose key is in the JWKS", () =>
    Effect.gen(function* () {
      const { full, jwksOnly, privateKey, issuer } = yield* setup
      const token = yield* signWith(privateKey, { alg: "ES256", kid }, userClaims(issuer))
      expect(yield* accept(full, token)).toEqual({ id: userId, email: "ada@example.com" })
      expect((yield* accept(jwksOnly, token)).id).toBe(userId)
    })
  )

  it.effect("accepts an EdDSA token whose key is in the JWKS", () =>
    Effect.gen(function* () {
      const { full, edPrivateKey, issuer } = yield* setup
      const token = yield* signWith(edPrivateKey, { alg: "EdDSA", kid: edKid }, userClaims(issuer))
      expect((yield* accept(full, token)).id).toBe(userId)
    })
  )

  it.effect("maps a missing or empty email to null and tolerates small clock skew", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const noEmail = yield* SupabaseAuth.signHs256(secret, without(userClaims(issuer), "email"))
      expect((yield* accept(full, noEmail)).email).toBeNull()
      const emptyEmail = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), email: "" })
      expect((yield* accept(full, emptyEmail)).email).toBeNull()
      const justExpired = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), exp: nowSeconds() - 10 })
      expect((yield* accept(full, justExpired)).id).toBe(userId)
    })
  )

  it.effect("refuses a missing token", () =>
    Effect.gen(function* () {
      const { full } = yield* setup
      expect(yield* refuse(full, "")).toBe("Not authenticated")
      expect(yield* refuse(full, "   ")).toBe("Not authenticated")
    })
  )

  it.effect("refuses garbage", () =>
    Effect.gen(function* () {
      const { full } = yield* setup
      for (const token of ["not-a-jwt", "a.b.c", "....", `${base64url({ alg: "HS256" })}.e30`, "x".repeat(20_000)]) {
        expect(yield* refuse(full, token)).toBe("Invalid token")
      }
    })
  )

  it.effect("refuses a token signed with another secret", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const token = yield* SupabaseAuth.signHs256("another-secret-of-sufficient-length-1234567890", userClaims(issuer))
      expect(yield* refuse(full, token)).toBe("Invalid token")
    })
  )

  it.effect("refuses an expired token", () =>
    Effect.gen(function* () {
      const { full, privateKey, issuer } = yield* setup
      const claims = { ...userClaims(issuer), iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }
      expect(yield* refuse(full, yield* SupabaseAuth.signHs256(secret, claims))).toBe("Token expired")
      expect(yield* refuse(full, yield* signWith(privateKey, { alg: "ES256", kid }, claims))).toBe("Token expired")
    })
  )

  it.effect("refuses a token without exp or not yet valid", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const noExp = yield* SupabaseAuth.signHs256(secret, without(userClaims(issuer), "exp"))
      expect(yield* refuse(full, noExp)).toBe("Invalid token claims")
      const future = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), nbf: nowSeconds() + 3600 })
      expect(yield* refuse(full, future)).toBe("Invalid token claims")
    })
  )

  it.effect("refuses alg none", () =>
    Effect.gen(function* () {
      const { full, secretOnly, jwksOnly, issuer } = yield* setup
      const unsigned = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(userClaims(issuer))}.`
      for (const verifier of [full, secretOnly, jwksOnly]) {
        expect(yield* refuse(verifier, unsigned)).toBe("Invalid token")
        expect(yield* refuse(verifier, unsigned.slice(0, -1))).toBe("Invalid token")
      }
    })
  )

  it.effect("refuses a token without a usable sub", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      for (const claims of [
        without(userClaims(issuer), "sub"),
        { ...userClaims(issuer), sub: "" },
        { ...userClaims(issuer), sub: "  " },
        { ...userClaims(issuer), sub: "x".repeat(256) }
      ]) {
        expect(yield* refuse(full, yield* SupabaseAuth.signHs256(secret, claims))).toBe("Invalid subject")
      }
    })
  )

  it.effect("takes only a UUID as sub, in its canonical lower case, so no two spellings share an account", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      for (const sub of ["victim", "victim\ud800", "victim\udc00", "victim\ufffd", "victim\u0000", `${userId}\u0000`]) {
        const token = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), sub })
        expect(yield* refuse(full, token), JSON.stringify(sub)).toBe("Invalid subject")
      }
      const upper = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), sub: userId.toUpperCase() })
      expect((yield* accept(full, upper)).id).toBe(userId)
    })
  )

  it.effect("refuses an email claim a database could not keep as it is", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      for (const email of ["ada\u0000@example.com", "ada\ud800@example.com", "ada\n@example.com", "a".repeat(400)]) {
        const token = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), email })
        expect(yield* refuse(full, token), JSON.stringify(email.slice(0, 20))).toBe("Invalid token claims")
      }
      const unicode = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), email: "zoë@exämple.com" })
      expect((yield* accept(full, unicode)).email).toBe("zoë@exämple.com")
    })
  )

  it.effect("refuses a wrong or missing audience", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const wrong = yield* SupabaseAuth.signHs256(secret, { ...userClaims(issuer), aud: "other" })
      expect(yield* refuse(full, wrong)).toBe("Invalid audience")
      const missing = yield* SupabaseAuth.signHs256(secret, without(userClaims(issuer), "aud"))
      expect(yield* refuse(full, missing)).toBe("Invalid audience")
    })
  )

  it.effect("refuses a role other than authenticated", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      for (const claims of [
        { ...userClaims(issuer), role: "service_role" },
        { ...userClaims(issuer), role: "anon" },
        without(userClaims(issuer), "role")
      ]) {
        expect(yield* refuse(full, yield* SupabaseAuth.signHs256(secret, claims))).toBe("Invalid role")
      }
    })
  )

  it.effect("refuses the Supabase anon key", () =>
    Effect.gen(function* () {
      const { full, secretOnly } = yield* setup
      const anon = {
        iss: "supabase",
        ref: "abcdefghijklmnop",
        role: "anon",
        iat: nowSeconds(),
        exp: nowSeconds() + 3600
      }
      const anonKey = yield* SupabaseAuth.signHs256(secret, anon)
      expect(yield* refuse(full, anonKey)).toBe("Invalid audience")
      expect(yield* refuse(secretOnly, anonKey)).toBe("Invalid audience")
      // Even with the right audience it is not a user's session.
      const withAud = yield* SupabaseAuth.signHs256(secret, { ...anon, aud: "authenticated" })
      expect(yield* refuse(full, withAud)).toBe("Invalid issuer")
      expect(yield* refuse(secretOnly, withAud)).toBe("Invalid role")
    })
  )

  it.effect("refuses a wrong or missing issuer when SUPABASE_URL is set", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const wrong = yield* SupabaseAuth.signHs256(secret, {
        ...userClaims(issuer),
        iss: "https://evil.example/auth/v1"
      })
      expect(yield* refuse(full, wrong)).toBe("Invalid issuer")
      const missing = yield* SupabaseAuth.signHs256(secret, without(userClaims(issuer), "iss"))
      expect(yield* refuse(full, missing)).toBe("Invalid issuer")
    })
  )

  it.effect("refuses HS256 tokens keyed with the JWKS public key (algorithm confusion)", () =>
    Effect.gen(function* () {
      const { full, jwksOnly, publicKey, issuer } = yield* setup
      const pem = yield* Effect.promise(() => Jose.exportSPKI(publicKey))
      const jwk = yield* Effect.promise(() => Jose.exportJWK(publicKey))
      for (const hmacKey of [pem, JSON.stringify(jwk), JSON.stringify({ ...jwk, kid, alg: "ES256", use: "sig" })]) {
        const token = yield* signWith(new TextEncoder().encode(hmacKey), { alg: "HS256", kid }, userClaims(issuer))
        expect(yield* refuse(full, token)).toBe("Invalid token")
        expect(yield* refuse(jwksOnly, token)).toBe("Invalid token")
      }
    })
  )

  it.effect("refuses HMAC algorithms other than HS256, even with the right secret", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const token = yield* signWith(new TextEncoder().encode(secret), { alg: "HS384" }, userClaims(issuer))
      expect(yield* refuse(full, token)).toBe("Invalid token")
    })
  )

  it.effect("refuses asymmetric tokens signed by keys not in the JWKS", () =>
    Effect.gen(function* () {
      const { full, issuer } = yield* setup
      const es = yield* Effect.promise(() => Jose.generateKeyPair("ES256"))
      const rs = yield* Effect.promise(() => Jose.generateKeyPair("RS256"))
      const forgedSameKid = yield* signWith(es.privateKey, { alg: "ES256", kid }, userClaims(issuer))
      expect(yield* refuse(full, forgedSameKid)).toBe("Invalid token")
      const unknownKid = yield* signWith(es.privateKey, { alg: "ES256", kid: "unknown" }, userClaims(issuer))
      expect(yield* refuse(full, unknownKid)).toBe("Invalid token")
      const rsa = yield* signWith(rs.privateKey, { alg: "RS256", kid: "rsa" }, userClaims(issuer))
      expect(yield* refuse(full, rsa)).toBe("Invalid token")
    })
  )

  it.effect("refuses asymmetric tokens when only a secret is configured", () =>
    Effect.gen(function* () {
      const { secretOnly, privateKey } = yield* setup
      const token = yield* signWith(privateKey, { alg: "ES256", kid }, userClaims(undefined))
      expect(yield* refuse(secretOnly, token)).toBe("Invalid token")
    })
  )

  it.effect("refuses, without a defect, when the JWKS cannot be fetched", () =>
    Effect.gen(function* () {
      const { brokenJwks, privateKey, issuer } = yield* setup
      const token = yield* signWith(privateKey, { alg: "ES256", kid }, userClaims(issuer))
      expect(yield* refuse(brokenJwks, token)).toBe("Invalid token")
    })
  )
})
