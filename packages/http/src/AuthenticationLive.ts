import { HttpServerRequest } from "@effect/platform"
import { Authentication } from "@scribe/client/Authentication"
import { TokenVerifier, Unauthenticated } from "@scribe/core/auth/TokenVerifier"
import { ensureUser } from "@scribe/core/emails/EmailUseCases"
import { Repo } from "@scribe/core/store/Repo"
import { Effect, Layer, Redacted } from "effect"

const bearerPattern = /^Bearer\s+(\S+)\s*$/i

/**
 * Verifies the bearer token and makes sure the user exists (created on first request). Only the `Bearer` scheme
 * is accepted, compared case-insensitively as HTTP requires.
 */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const verifier = yield* TokenVerifier
    const repo = yield* Repo
    const known = new Set<string>()
    return {
      bearer: () =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const header = request.headers.authorization
          if (header === undefined || header.trim() === "") {
            return yield* new Unauthenticated({ reason: "Not authenticated" })
          }
          const token = bearerPattern.exec(header)?.[1]
          if (token === undefined) {
            return yield* new Unauthenticated({ reason: "Invalid authentication credentials" })
          }
          const user = yield* verifier.verify(Redacted.make(token))
          const key = `${user.id}\u0000${user.email ?? ""}`
          if (!known.has(key)) {
            yield* ensureUser(user).pipe(Effect.provideService(Repo, repo), Effect.orDie)
            if (known.size > 10_000) known.clear()
            known.add(key)
          }
          return user
        }).pipe(Effect.withSpan("Authentication.bearer"))
    }
  })
)
