import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Metrics from "@scribe/core/ops/Metrics"
import { foldAccents, withoutTitles } from "@scribe/core/pipeline/Names"
import { Arxiv } from "@scribe/core/upstream/Arxiv"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { Config, type ConfigError, type Context, Data, Duration, Effect, Layer } from "effect"
import { isHttpUrl } from "../ops/ConfigReaders"
import { parseFeed } from "./ArxivFeed"
import * as CircuitBreaker from "./CircuitBreaker"
import * as PlainHttp from "./PlainHttp"
import * as RetryAfter from "./RetryAfter"
import * as UpstreamBudget from "./UpstreamBudget"

export const defaultUrl = "https://export.arxiv.org/api/query"

export interface Options {
  /** The Atom API endpoint (`ARXIV_API_URL`). */
  readonly url: string
  /** At most one request per this interval across every worker sharing the budget store (arXiv asks for 3 s). */
  readonly minInterval: Duration.DurationInput
  /** Per request (default 30 s). */
  readonly timeout?: Duration.DurationInput
  /** How often a 429/503 is waited out and retried before failing with `rate_limited` (default 2). */
  readonly throttleRetries?: number
  /** A `Retry-After` longer than this is not waited out here: the error carries it instead (default 30 s). */
  readonly maxThrottleWait?: Duration.DurationInput
  /** The budget's key; workers sharing it share the spacing (default `arxiv`). */
  readonly budgetKey?: string
}

// ---------------------------------------------------------------------------------------------------------------
// The query

const generational = /^(?:jr|sr|ii|iii|iv)\.?$/i
const stopwords = new Set(
  "and or not the for with from into onto about over under via using use based toward towards their its our of on in to by at as an a is are be new study studies research".split(
    " "
  )
)

/**
 * A person's name without titles, degrees, quotes or query syntax: `Prof. Ada Lovelace, PhD` → `Ada Lovelace`. Titles
 * go through the stripper the pipeline uses, so the name the pipeline already stripped comes through unchanged.
 */
export const cleanName = (name: string): string => {
  const parts = withoutTitles(name.replace(/["“”„«»`'‘’]/g, " ").replace(/[()[\]{}:;\\/*?!<>=+^~|&@#$%]/g, " "))
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
  // "Lovelace, Ada" is surname first; anything after a second comma was degrees.
  const ordered = parts.length >= 2 ? `${parts[1]} ${parts[0]}` : (parts[0] ?? "")
  const words = ordered.split(/\s+/).filter((w) => w.length > 0 && /[\p{L}\p{N}]/u.test(w))
  while (words.length > 0 && generational.test(words[words.length - 1]!)) words.pop()
  return words.join(" ")
}

const topicTerms = (topic: string): Array<string> => {
  const seen = new Set<string>()
  for (const word of foldAccents(topic)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)) {
    if (word.length >= 3 && !stopwords.has(word)) seen.add(word)
  }
  return [...seen].slice(0, 6)
}

/**
 * The `search_query` for papers by `author`, optionally about `topic`:
 * `(au:"Ada Lovelace" OR au:Lovelace_A) AND (all:analytical OR all:engines)`. `null` when no name is left.
 */
export const authorQuery = (author: string, topic: string | null): string | null => {
  const name = cleanName(author)
  if (name.length === 0) return null
  const names = [...new Set([name, foldAccents(name)])]
  const words = foldAccents(name).split(" ")
  const clauses = names.map((n) => (n.includes(" ") ? `au:"${n}"` : `au:${n}`))
  if (words.length > 1) {
    const surname = words[words.length - 1]!.replace(/[^\p{L}\p{N}-]/gu, "")
    const initial = words[0]!.replace(/[^\p{L}\p{N}]/gu, "").slice(0, 1)
    if (surname.length > 0 && initial.length > 0) clauses.push(`au:${surname}_${initial}`)
  }
  const authorClause = clauses.length === 1 ? clauses[0]! : `(${clauses.join(" OR ")})`
  const terms = topic === null ? [] : topicTerms(topic)
  return terms.length === 0 ? authorClause : `${authorClause} AND (${terms.map((t) => `all:${t}`).join(" OR ")})`
}

export { parseFeed } from "./ArxivFeed"

// ---------------------------------------------------------------------------------------------------------------

const upstream = (kind: UpstreamFailure, message: string, retryAfterMs: number | null = null) =>
  new UpstreamError({ service: "arxiv", kind, message, retryAfterMs })

/** Extra spacing beyond the configured interval, as a fraction of it. */
export const spacingMargin = 0.05

/** Throttled by arXiv (429/503): the wait it asked for. */
class Throttled extends Data.TaggedError("Throttled")<{ readonly retryAfterMs: number }> {}

/** Builds an `Arxiv` on the Atom API, spacing requests through the shared budget. */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<Arxiv>, never, RateLimiter.RateLimiter> =>
  Effect.gen(function* () {
    // No trace headers to a third party.
    const client = PlainHttp.make()
    const host = URL.canParse(options.url) ? new URL(options.url).host : "unknown"
    const limiter = yield* RateLimiter.RateLimiter
    const interval = Duration.decode(options.minInterval)
    const intervalMs = Duration.toMillis(interval)
    const timeout = Duration.decode(options.timeout ?? "30 seconds")
    const timeoutMs = Duration.toMillis(timeout)
    const transportFailure = PlainHttp.upstreamFailure("arxiv", "arXiv", timeout, CircuitBreaker.transportHint)
    const throttleRetries = options.throttleRetries ?? 2
    const maxThrottleWaitMs = Duration.toMillis(options.maxThrottleWait ?? "30 seconds")
    // Requests leave `spacingMargin` more than the interval apart: arrival times jitter (busy event loops, networks),
    // and one that lands early is throttled and costs a Retry-After of at least a second (see docs/benchmarks.md).
    const budget: UpstreamBudget.Budget = {
      key: options.budgetKey ?? "arxiv",
      limit: 1,
      window: Duration.millis(intervalMs * (1 + spacingMargin)),
      algorithm: "fixed-window"
    }
    const space = intervalMs > 0 ? UpstreamBudget.take(limiter, budget) : Effect.void
    // Offline, every job would otherwise wait its 3 s turn only to fail: an unreachable arXiv is skipped for a while.
    const breaker = yield* CircuitBreaker.make({ label: "arXiv" })

    const request = (urlParams: Record<string, string>): Effect.Effect<string, UpstreamError | Throttled> =>
      Effect.gen(function* () {
        yield* breaker
          .spend(space)
          .pipe(Effect.catchTag("BreakerOpen", (open) => Effect.fail(CircuitBreaker.skipped("arxiv")(open))))
        const url = new URL(options.url)
        for (const [key, value] of Object.entries(urlParams)) url.searchParams.append(key, value)
        const response = yield* client.send({ url, headers: { accept: "application/atom+xml" }, timeoutMs }).pipe(
          Effect.tapBoth({
            onFailure: (error) => breaker.record(CircuitBreaker.transportOutcome(error), error.message),
            // arXiv throttles with 503 as well as 429.
            onSuccess: (reply) =>
              breaker.record(
                CircuitBreaker.statusOutcome(reply.status, reply.status === 503),
                `answered ${reply.status}`
              )
          }),
          Effect.mapError(transportFailure)
        )
        const status = response.status
        yield* Effect.annotateCurrentSpan("http.response.status_code", status)
        if (status === 429) yield* Metrics.recordRateLimited("arxiv")
        if (status === 429 || status === 503) {
          const retryAfter = response.headers["retry-after"]
          const waitMs = RetryAfter.parse({ retryAfter }, Date.now()) ?? intervalMs
          return yield* new Throttled({ retryAfterMs: Math.max(waitMs, intervalMs) })
        }
        const body = response.body.toString("utf8")
        if (status >= 500) return yield* upstream("unavailable", `arXiv answered ${status}`)
        if (status >= 400) {
          const parsed = parseFeed(body)
          const detail = parsed._tag === "ApiError" ? `: ${parsed.message}` : ""
          return yield* upstream("invalid_request", `arXiv answered ${status}${detail}`)
        }
        return body
      })

    /** A 429/503 pushes the shared budget back by the wait arXiv asked for, so no worker calls sooner; then retry. */
    const withThrottling = (urlParams: Record<string, string>) => {
      const attempt = (retriesLeft: number): Effect.Effect<string, UpstreamError> =>
        Effect.catchTag(request(urlParams), "Throttled", (throttled) =>
          Effect.gen(function* () {
            yield* Effect.annotateCurrentSpan("throttled", throttled.retryAfterMs)
            if (retriesLeft <= 0 || throttled.retryAfterMs > maxThrottleWaitMs) {
              return yield* upstream("rate_limited", "arXiv is throttling requests", throttled.retryAfterMs)
            }
            if (intervalMs > 0) {
              const slots = Math.min(20, Math.ceil(throttled.retryAfterMs / intervalMs) - 1)
              for (let i = 0; i < slots; i++) yield* UpstreamBudget.charge(limiter, budget)
            } else {
              yield* Effect.sleep(Duration.millis(throttled.retryAfterMs))
            }
            return yield* attempt(retriesLeft - 1)
          })
        )
      return attempt(throttleRetries)
    }

    const searchByAuthor = Effect.fn("ArxivApi.searchByAuthor")(function* (query: {
      readonly author: string
      readonly topic: string | null
      readonly maxResults: number
    }) {
      const searchQuery = authorQuery(query.author, query.topic)
      if (searchQuery === null) return []
      yield* Effect.annotateCurrentSpan({ search_query: searchQuery, "upstream.host": host })
      const body = yield* withThrottling({
        search_query: searchQuery,
        start: "0",
        max_results: String(Math.max(1, Math.min(100, Math.floor(query.maxResults)))),
        sortBy: "submittedDate",
        sortOrder: "descending"
      })
      const parsed = parseFeed(body)
      switch (parsed._tag) {
        case "Papers":
          return parsed.papers
        case "ApiError":
          return yield* upstream("invalid_request", `arXiv refused the query: ${parsed.message}`)
        case "Malformed":
          return yield* upstream("malformed_response", `arXiv: ${parsed.message}`)
      }
    }, Metrics.trackUpstream("arxiv"))

    return Arxiv.of({ searchByAuthor })
  })

/** The adapter with its own HTTP client; the budget store (`RateLimiter`) comes from the root. */
export const layer = (options: Options): Layer.Layer<Arxiv, never, RateLimiter.RateLimiter> =>
  Layer.effect(Arxiv, make(options))

/** `ARXIV_API_URL` (default the public API) and `SCRIBE_ARXIV_MIN_INTERVAL_MS` (default 3000). */
export const optionsConfig: Config.Config<Options> = Config.all({
  url: Config.string("ARXIV_API_URL").pipe(
    Config.withDefault(defaultUrl),
    Config.validate({
      message: "ARXIV_API_URL must be an absolute http(s) URL",
      validation: isHttpUrl
    })
  ),
  minIntervalMs: Config.integer("SCRIBE_ARXIV_MIN_INTERVAL_MS").pipe(
    Config.withDefault(3000),
    Config.validate({ message: "SCRIBE_ARXIV_MIN_INTERVAL_MS must be >= 0", validation: (n) => n >= 0 })
  )
}).pipe(Config.map(({ minIntervalMs, url }) => ({ url, minInterval: Duration.millis(minIntervalMs) })))

/** The adapter configured by `optionsConfig`. */
export const layerConfig: Layer.Layer<Arxiv, ConfigError.ConfigError, RateLimiter.RateLimiter> = Layer.unwrapEffect(
  Effect.map(optionsConfig, layer)
)
