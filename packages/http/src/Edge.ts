import { type HttpApiBuilder, HttpApp, HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, FiberRef, Option } from "effect"
import type { Options } from "./EdgePolicy"
import { requestGuard } from "./RequestGuard"
import { withRequestId } from "./RequestId"

type Middleware = <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R>

/** What a browser page on an allowed origin may send and read. */
export const corsOptions = {
  allowedMethods: ["GET", "POST", "PATCH", "DELETE"],
  allowedHeaders: ["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key"],
  exposedHeaders: ["Retry-After", "X-Request-ID"],
  maxAge: 600
} as const

const varyOrigin = (response: HttpServerResponse.HttpServerResponse) => {
  const vary = response.headers.vary
  if (vary !== undefined && /(^|,)\s*origin\s*(,|$)/i.test(vary)) return response
  return HttpServerResponse.setHeader(response, "vary", vary === undefined ? "Origin" : `${vary}, Origin`)
}

/**
 * CORS for the configured exact origins (none → no CORS headers at all). Preflights are answered 204 on every path;
 * an allowed origin is echoed, a foreign one gets no `Access-Control-Allow-Origin`; no credentials mode, so never
 * `*`. Every answer carries `Vary: Origin`, since it depends on the origin.
 */
const cors = (origins: ReadonlyArray<string>): Middleware => {
  if (origins.length === 0) return (app) => app
  const allowed = new Set(origins)
  // A predicate, not the list: with a single listed origin the library would send it to every caller.
  const platformCors = HttpMiddleware.cors({ ...corsOptions, allowedOrigins: (origin) => allowed.has(origin) })
  return (app) =>
    Effect.zipRight(
      HttpApp.appendPreResponseHandler((_, response) => Effect.succeed(varyOrigin(response))),
      platformCors(app)
    )
}

const bearerWithToken = /^Bearer\s+\S/i

/** A 401 says how to authenticate (RFC 6750): `Bearer`, with `error="invalid_token"` when a token was sent. */
const bearerChallenge: Middleware = (app) =>
  Effect.zipRight(
    HttpApp.appendPreResponseHandler((request, response) =>
      Effect.succeed(
        response.status !== 401 || response.headers["www-authenticate"] !== undefined
          ? response
          : HttpServerResponse.setHeader(
              response,
              "www-authenticate",
              bearerWithToken.test(request.headers.authorization ?? "") ? 'Bearer error="invalid_token"' : "Bearer"
            )
      )
    ),
    app
  )

/**
 * The edge every request crosses first, outermost first: its request id, CORS, the 401 challenge, then the request
 * guard (size, media type, depth).
 *
 * The app's own answers are written, with the pre-response handlers (request id, CORS, challenge) applied, before
 * they come back out here; the answers the edge gives itself (a refusal, a preflight) never went through that writer,
 * so the handlers are applied to them here.
 */
export const edge =
  (policy: Options) =>
  (app: HttpApp.Default): HttpApp.Default<never, HttpApiBuilder.Router | HttpServerRequest.HttpServerRequest> =>
    Effect.suspend(() => {
      let reached = false
      const marked = Effect.zipRight(
        Effect.sync(() => {
          reached = true
        }),
        app
      )
      const guarded = withRequestId(cors(policy.corsOrigins)(bearerChallenge(requestGuard(policy)(marked))))
      return Effect.flatMap(guarded, (response) =>
        reached
          ? Effect.succeed(response)
          : Effect.flatMap(FiberRef.get(HttpApp.currentPreResponseHandlers), (handler) =>
              Option.isNone(handler)
                ? Effect.succeed(response)
                : Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
                    Effect.orElseSucceed(handler.value(request, response), () => response)
                  )
            )
      )
    })
