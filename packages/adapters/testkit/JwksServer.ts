import { Context, Effect, Layer } from "effect"
import * as Jose from "jose"
import * as LocalServer from "./LocalServer"

export const kid = "test-es256"
export const edKid = "test-eddsa"

/** A local Supabase stand-in serving a JWKS; `${url}/broken` answers the JWKS path with a 500. */
export class JwksServer extends Context.Tag("@scribe/adapters/testkit/JwksServer")<
  JwksServer,
  {
    readonly url: string
    readonly privateKey: Jose.CryptoKey
    readonly publicKey: Jose.CryptoKey
    readonly edPrivateKey: Jose.CryptoKey
  }
>() {
  static readonly layer = Layer.scoped(
    JwksServer,
    Effect.gen(function* () {
      const { privateKey, publicKey } = yield* Effect.promise(() => Jose.generateKeyPair("ES256"))
      const ed = yield* Effect.promise(() => Jose.generateKeyPair("EdDSA"))
      const jwk = yield* Effect.promise(() => Jose.exportJWK(publicKey))
      const edJwk = yield* Effect.promise(() => Jose.exportJWK(ed.publicKey))
      const jwks = JSON.stringify({
        keys: [
          { ...jwk, kid, alg: "ES256", use: "sig" },
          { ...edJwk, kid: edKid, alg: "EdDSA", use: "sig" }
        ]
      })
      const server = yield* LocalServer.make((request, res) => {
        if (request.path === "/auth/v1/.well-known/jwks.json") {
          res.writeHead(200, { "content-type": "application/json" }).end(jwks)
        } else if (request.path === "/broken/auth/v1/.well-known/jwks.json") {
          res.writeHead(500).end("boom")
        } else {
          res.writeHead(404).end()
        }
      })
      return { url: server.origin, privateKey, publicKey, edPrivateKey: ed.privateKey }
    })
  )
}
