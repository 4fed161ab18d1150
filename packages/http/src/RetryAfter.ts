import { HttpApp, HttpServerResponse } from "@effect/platform"
import { Effect, Predicate } from "effect"

const retryAfterOf = (error: unknown): number | undefined =>
  Predicate.hasProperty(error, "retryAfterSeconds") && typeof error.retryAfterSeconds === "number"
    ? error.retryAfterSeconds
    : undefined

/**
 * Error schemas fix a response's body and status, not its headers: an error that says when to come back
 * (`retryAfterSeconds`, the 429s of the submission limits) registers a pre-response handler on the request, which sets
 * `Retry-After` on the response the contract encodes for it.
 */
export const withRetryAfter = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapError(effect, (error) => {
    const seconds = retryAfterOf(error)
    return seconds === undefined
      ? Effect.void
      : HttpApp.appendPreResponseHandler((_request, response) =>
          Effect.succeed(HttpServerResponse.setHeader(response, "retry-after", String(Math.ceil(seconds))))
        )
  })
