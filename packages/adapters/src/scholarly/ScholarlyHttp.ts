import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Metrics from "@scribe/core/ops/Metrics"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { Data, Duration, Effect } from "effect"
import * as CircuitBreaker from "../upstream/CircuitBreaker"
import * as PlainHttp from "../upstream/PlainHttp"
import * as RetryAfter from "../upstream/RetryAfter"
import * as UpstreamBudget from "../upstream/UpstreamBudget"

/**
 * JSON over HTTP for the scholarly APIs (OpenAlex, Semantic Scholar), behind a circuit breaker for the source (a
 * source that cannot be reached is skipped for a while, without spending its budget): each request waits for the
 * source's budget,
 * a 429 (or a 503 with `Retry-After`) pushes the shared budget back by the wait it asked for and is retried while the
 * wait is short, and every other answer becomes a value or an `UpstreamError` of the right kind. Messages name the
 * status, never the URL (it carries a person's name, and OpenAlex's key).
 */

export type Service = "openalex" | "semantic_scholar"

/** A budget of `requestsPerSecond` spread evenly, one request per slot, across every worker sharing `key`. */
export const evenlyPaced = (key: string, requestsPerSecond: number): UpstreamBudget.Budget => ({
  key,
  limit: 1,
  window: Duration.millis(1000 / Math.max(0.001, requestsPerSecond)),
  algorithm: "token-bucket"
})

export interface Options {
  readonly service: Service
  /** The service as messages name it ("OpenAlex"). */
  readonly label: string
  readonly budget: UpstreamBudget.Budget
  /** Per request. */
  readonly timeout: Duration.DurationInput
  /** Throttled answers waited out and retried before failing with `rate_limited` (default 2). */
  readonly throttleRetries?: number
  /** A `Retry-After` longer than this is not waited out: the error carries it (default 30 s). */
  readonly maxThrottleWait?: Duration.DurationInput
  /** The wait when a 429 gives no `Retry-After` (default 1 s). */
  readonly defaultThrottleWait?: Duration.DurationInput
}

export interface Request {
  readonly url: URL
  readonly method?: "GET" | "POST"
  readonly headers?: Readonly<Record<string, string>>
  /** JSON body (POST). */
  readonly json?: unknown
}

export interface JsonClient {
  /** The parsed JSON body of a 2xx answer. */
  readonly request: (request: Request) => Effect.Effect<unknown, UpstreamError>
}

/** A 2xx answer whose JSON is not what the API documents. */
export const malformed = (service: Service, message: string): UpstreamError =>
  new UpstreamError({ service, kind: "malformed_response", message, retryAfterMs: null })

class Throttled extends Data.TaggedError("Throttled")<{ readonly retryAfterMs: number }> {}

const errorDetail = (body: string): string => {
  try {
    const json = JSON.parse(body) as Record<string, unknown>
    const detail = json.message ?? json.error
    return typeof detail === "string" ? `: ${detail.slice(0, 200)}` : ""
  } catch {
    return ""
  }
}

export const make = (options: Options): Effect.Effect<JsonClient, never, RateLimiter.RateLimiter> =>
  Effect.gen(function* () {
    const limiter = yield* RateLimiter.RateLimiter
    const breaker = yield* CircuitBreaker.make({ label: options.label })
    const client = PlainHttp.make()
    const timeout = Duration.decode(options.timeout)
    const timeoutMs = Duration.toMillis(timeout)
    const throttleRetries = options.throttleRetries ?? 2
    const maxThrottleWaitMs = Duration.toMillis(options.maxThrottleWait ?? "30 seconds")
    const defaultWaitMs = Duration.toMillis(options.defaultThrottleWait ?? "1 second")
    const windowMs = Duration.toMillis(options.budget.window)
    const upstream = (kind: UpstreamFailure, message: string, retryAfterMs: number | null = null) =>
      new UpstreamError({ service: options.service, kind, message, retryAfterMs })

    const once = (request: Request): Effect.Effect<unknown, UpstreamError | Throttled> =>
      Effect.gen(function* () {
        yield* breaker
          .spend(UpstreamBudget.take(limiter, options.budget))
          .pipe(Effect.catchTag("BreakerOpen", (open) => Effect.fail(CircuitBreaker.skipped(options.service)(open))))
        const body = request.json === undefined ? undefined : JSON.stringify(request.json)
        const reply = yield* client
          .send({
            url: request.url,
            method: request.method ?? "GET",
            headers: {
              accept: "application/json",
              ...(body === undefined ? {} : { "content-type": "application/json" }),
              ...request.headers
            },
            ...(body === undefined ? {} : { body }),
            timeoutMs
          })
          .pipe(
            Effect.tapBoth({
              onFailure: (error) => breaker.record(CircuitBreaker.transportOutcome(error), error.message),
              onSuccess: (reply) =>
                breaker.record(
                  CircuitBreaker.statusOutcome(
                    reply.status,
                    reply.status === 503 && reply.headers["retry-after"] !== undefined
                  ),
                  `answered ${reply.status}`
                )
            }),
            Effect.mapError((error) =>
              error.reason === "timeout"
                ? upstream("timeout", `${options.label} did not answer within ${Duration.format(timeout)}`)
                : new UpstreamError({
                    service: options.service,
                    kind: error.reason === "request" ? "unavailable" : "malformed_response",
                    message: `${options.label}: ${error.message}`,
                    retryAfterMs: null,
                    ...CircuitBreaker.transportHint(error)
                  })
            )
          )
        const status = reply.status
        const text = reply.body.toString("utf8")
        const retryAfter = RetryAfter.parse({ retryAfter: headerOf(reply, "retry-after") }, Date.now())
        if (status === 429) yield* Metrics.recordRateLimited(options.service)
        if (status === 429 || (status === 503 && retryAfter !== null)) {
          return yield* new Throttled({ retryAfterMs: retryAfter ?? defaultWaitMs })
        }
        if (status >= 500) return yield* upstream("unavailable", `${options.label} answered ${status}`, retryAfter)
        if (status === 401 || status === 403) {
          return yield* upstream("auth", `${options.label} refused the credentials (${status}${errorDetail(text)})`)
        }
        if (status === 404) return yield* upstream("not_found", `${options.label} answered 404${errorDetail(text)}`)
        if (status >= 400) {
          return yield* upstream("invalid_request", `${options.label} answered ${status}${errorDetail(text)}`)
        }
        try {
          return JSON.parse(text) as unknown
        } catch {
          return yield* upstream("malformed_response", `${options.label} answered with something other than JSON`)
        }
      })

    const request = (req: Request): Effect.Effect<unknown, UpstreamError> => {
      const attempt = (retriesLeft: number): Effect.Effect<unknown, UpstreamError> =>
        Effect.catchTag(once(req), "Throttled", (throttled) =>
          Effect.gen(function* () {
            if (retriesLeft <= 0 || throttled.retryAfterMs > maxThrottleWaitMs) {
              return yield* upstream("rate_limited", `${options.label} is throttling requests`, throttled.retryAfterMs)
            }
            // Every worker sharing the budget backs off (the slots of the wait asked for are spent, up to 50), and
            // this call waits the whole of it.
            const slots = Math.min(50, Math.ceil(throttled.retryAfterMs / Math.max(1, windowMs)) * options.budget.limit)
            for (let i = 0; i < slots; i++) yield* UpstreamBudget.charge(limiter, options.budget)
            yield* Effect.sleep(Duration.millis(throttled.retryAfterMs))
            return yield* attempt(retriesLeft - 1)
          })
        )
      return attempt(throttleRetries).pipe(
        Metrics.trackUpstream(options.service),
        Effect.withSpan(`${options.label.replace(/\s+/g, "")}.request`, {
          attributes: { "upstream.host": req.url.host, "http.request.method": req.method ?? "GET" }
        })
      )
    }

    return { request }
  })

const headerOf = (reply: PlainHttp.Reply, name: string): string | undefined => {
  const value = reply.headers[name]
  return Array.isArray(value) ? value.join(", ") : value
}
