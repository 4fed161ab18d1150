import { randomUUID } from "node:crypto"
import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

/** A request id a caller may choose: short, and made of characters safe in a header, a log line and a URL. */
const safeRequestId = /^[A-Za-z0-9._~:+=/-]{1,128}$/

/** The caller's `X-Request-ID` when it is safe to repeat, otherwise a fresh UUID. */
export const requestIdOf = (header: string | undefined): string =>
  header !== undefined && safeRequestId.test(header) ? header : randomUUID()

/**
 * Every request gets an id: the caller's `X-Request-ID` when short and of safe characters, a new UUID otherwise. It is
 * echoed in `X-Request-ID` on every response (errors and refusals included), annotates every log line written while
 * the request is handled (`request_id`) and is an attribute of the request's span (`http.request.id`).
 */
export const withRequestId = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const id = requestIdOf(request.headers["x-request-id"])
    yield* HttpApp.appendPreResponseHandler((_, response) =>
      Effect.succeed(HttpServerResponse.setHeader(response, "x-request-id", id))
    )
    yield* Effect.annotateCurrentSpan("http.request.id", id)
    return yield* Effect.annotateLogs(app, "request_id", id)
  })
