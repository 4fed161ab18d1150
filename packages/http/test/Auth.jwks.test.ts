import type { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import { JwksServer, kid } from "@scribe/adapters/testkit/JwksServer"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option, Redacted } from "effect"
import * as Jose from "jose"
import { call, jwtSecret, layerServerWith } from "./TestServer"

const stores = Layer.merge(
  RepoMemory.layer,
  Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
)

/** A server trusting both the project's HS256 secret and the asymmetric keys of a (local) Supabase JWKS. */
const withServer = <A, E>(body: (supabase: JwksServer["Type"]) => Effect.Effect<A, E, HttpClient.HttpClient>) =>
  Effect.gen(function* () {
    const supabase = yield* JwksServer
    const server = layerServerWith(stores, {
      jwtSecret: Option.some(Redacted.make(jwtSecret)),
      supabaseUrl: Option.some(supabase.url),
      audience: "authenticated"
    })
    return yield* Effect.provide(body(supabase), server)
  }).pipe(Effect.provide(JwksServer.layer))

const claims = (url: string, overrides: Jose.JWTPayload = {}): Jose.JWTPayload => ({
  sub: crypto.randomUUID(),
  aud: "authenticated",
  role: "authenticated",
  iss: `${url}/auth/v1`,
  exp: Math.floor(Date.now() / 1000) + 600,
  ...overrides
})

const withoutSub = ({ sub: _, ...rest }: Jose.JWTPayload): Jose.JWTPayload => rest

describe("Supabase asymmetric keys (JWKS served by a local server)", () => {
  it.live("an ES256 token from the JWKS is accepted; forged and confused ones are 401", () =>
    withServer(({ url, privateKey, publicKey }) =>
      Effect.gen(function* () {
        const es256 = (payload: Jose.JWTPayload) =>
          Effect.promise(() => new Jose.SignJWT(payload).setProtectedHeader({ alg: "ES256", kid }).sign(privateKey))
        const ok = yield* call("GET", "/api/queue/", { token: yield* es256(claims(url)) })
        expect(ok).toEqual({ status: 200, body: [] })

        const pem = yield* Effect.promise(() => Jose.exportSPKI(publicKey))
        const jwk = JSON.stringify(yield* Effect.promise(() => Jose.exportJWK(publicKey)))
        const refused = [
          ["HS256 signed with the public key (PEM)", yield* SupabaseAuth.signHs256(pem, claims(url))],
          ["HS256 signed with the public key (JWK)", yield* SupabaseAuth.signHs256(jwk, claims(url))],
          ["ES256 with a foreign issuer", yield* es256(claims(url, { iss: "https://evil.example/auth/v1" }))],
          ["ES256 with role anon", yield* es256(claims(url, { role: "anon" }))],
          ["anon key (no sub)", yield* SupabaseAuth.signHs256(jwtSecret, withoutSub(claims(url, { role: "anon" })))]
        ] as const
        for (const [label, token] of refused) {
          const reply = yield* call("GET", "/api/queue/", { token })
          expect(reply.status, label).toBe(401)
          expect(typeof (reply.body as { detail: unknown }).detail, label).toBe("string")
        }
      })
    )
  )
})
