import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Metrics from "@scribe/core/ops/Metrics"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { SearchHit, WebSearch } from "@scribe/core/upstream/WebSearch"
import * as Cheerio from "cheerio"
import { Config, ConfigError, type Context, Duration, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import { httpUrl, optionalSecret, optionalString } from "../ops/ConfigReaders"
import * as CircuitBreaker from "./CircuitBreaker"
import * as PlainHttp from "./PlainHttp"
import * as RetryAfter from "./RetryAfter"
import * as UpstreamBudget from "./UpstreamBudget"

export const braveDefaultUrl = "https://api.search.brave.com/res/v1/web/search"

/** Which engine answers: a SearXNG instance (`SEARXNG_URL`) or the hosted Brave Search API. */
export type Provider =
  | { readonly _tag: "Searxng"; readonly url: string }
  | { readonly _tag: "Brave"; readonly apiKey: Redacted.Redacted<string>; readonly url: string }

export interface Options {
  readonly provider: Provider
  /** Requests per second across every worker sharing the budget store. */
  readonly requestsPerSecond: number
  /** Per request (default 10 s). */
  readonly timeout?: Duration.DurationInput
  /** The budget's key (default `search`). */
  readonly budgetKey?: string
}

const upstream = (kind: UpstreamFailure, message: string, retryAfterMs: number | null = null) =>
  new UpstreamError({ service: "search", kind, message, retryAfterMs })

/** Tags stripped and entities decoded (Brave marks matches with `<strong>`), whitespace collapsed. */
const plainText = (html: string): string =>
  (html.includes("<") || html.includes("&") ? Cheerio.load(html, null, false).root().text() : html)
    .replace(/\s+/g, " ")
    .trim()

const RawHit = Schema.Struct({
  url: Schema.String,
  title: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
  snippet: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" })
})
const decodeHit = Schema.decodeUnknownOption(RawHit)

/** Usable hits: http(s) URLs only, each URL once (ignoring fragments), at most `limit`. */
const toHits = (raw: ReadonlyArray<unknown>, limit: number): ReadonlyArray<SearchHit> => {
  const seen = new Set<string>()
  const hits: Array<SearchHit> = []
  for (const item of raw) {
    if (hits.length >= limit) break
    const hit = decodeHit(item)
    if (Option.isNone(hit) || !URL.canParse(hit.value.url)) continue
    const url = new URL(hit.value.url)
    if (url.protocol !== "http:" && url.protocol !== "https:") continue
    url.hash = ""
    if (seen.has(url.href)) continue
    seen.add(url.href)
    hits.push(
      new SearchHit({
        url: url.href,
        title: plainText(hit.value.title ?? ""),
        snippet: plainText(hit.value.snippet ?? "")
      })
    )
  }
  return hits
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {}

const array = (value: unknown): ReadonlyArray<unknown> => (Array.isArray(value) ? value : [])

/** The JSON error code a provider put in its body, if any (Brave: `{error: {code}}`). */
const errorCode = (body: string): string => {
  try {
    const code = record(record(JSON.parse(body)).error).code
    return typeof code === "string" ? code : ""
  } catch {
    return ""
  }
}

const header = (reply: PlainHttp.Reply, name: string): string | undefined => {
  const value = reply.headers[name]
  return Array.isArray(value) ? value.join(", ") : value
}

const statusFailure = (provider: Provider, response: PlainHttp.Reply, body: string): UpstreamError => {
  const status = response.status
  const name = provider._tag === "Searxng" ? "SearXNG" : "Brave Search"
  const code = errorCode(body)
  const message = `${name} answered ${status}${code !== "" ? ` (${code})` : ""}`
  if (status === 429) {
    if (code.includes("QUOTA")) return upstream("quota", message)
    const reset = header(response, "x-ratelimit-reset")?.split(",")[0]
    const retryAfterMs = RetryAfter.parse({ retryAfter: header(response, "retry-after") ?? reset }, Date.now())
    return upstream("rate_limited", message, retryAfterMs)
  }
  if (provider._tag === "Searxng" && status === 403) {
    return upstream("invalid_request", `${message}: enable the json format in the instance's search.formats`)
  }
  if (status === 401 || status === 403 || code.includes("TOKEN")) return upstream("auth", message)
  if (status === 408) return upstream("timeout", message)
  if (status >= 500) {
    return upstream(
      "unavailable",
      message,
      RetryAfter.parse({ retryAfter: header(response, "retry-after") }, Date.now())
    )
  }
  return upstream("invalid_request", message)
}

/** Builds a `WebSearch` on SearXNG's JSON API or Brave's web search, within a per-second budget. */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<WebSearch>, never, RateLimiter.RateLimiter> =>
  Effect.gen(function* () {
    // No trace headers to a third party.
    const client = PlainHttp.make()
    const limiter = yield* RateLimiter.RateLimiter
    const provider = options.provider
    const timeout = Duration.decode(options.timeout ?? "10 seconds")
    // Evenly paced, one request per 1/rps seconds, without bursts: hosted engines count per second, and a burst
    // budget made a run at 10 rps behave unlike one at 1 rps (docs/benchmarks.md, "Search budget paced evenly").
    const budget: UpstreamBudget.Budget = {
      key: options.budgetKey ?? "search",
      limit: 1,
      window: Duration.millis(1000 / Math.max(1, options.requestsPerSecond)),
      algorithm: "token-bucket"
    }

    const timeoutMs = Duration.toMillis(timeout)
    const transportFailure = PlainHttp.upstreamFailure("search", "search", timeout)
    const breaker = yield* CircuitBreaker.make({ label: "the search engine" })
    const withParams = (base: string, params: Record<string, string>) => {
      const url = new URL(base)
      for (const [key, value] of Object.entries(params)) url.searchParams.append(key, value)
      return url
    }
    const call = (query: string, limit: number) =>
      provider._tag === "Searxng"
        ? client.send({
            url: withParams(new URL("search", provider.url.endsWith("/") ? provider.url : `${provider.url}/`).href, {
              q: query,
              format: "json",
              pageno: "1",
              safesearch: "1"
            }),
            headers: { accept: "application/json" },
            timeoutMs
          })
        : client.send({
            url: withParams(provider.url, { q: query, count: String(Math.min(20, limit)) }),
            headers: { accept: "application/json", "x-subscription-token": Redacted.value(provider.apiKey) },
            timeoutMs
          })

    const rawHits = (json: unknown): ReadonlyArray<unknown> =>
      provider._tag === "Searxng"
        ? array(record(json).results).map((r) => ({ ...record(r), snippet: record(r).content }))
        : array(record(record(json).web).results).map((r) => ({ ...record(r), snippet: record(r).description }))

    const host = URL.canParse(provider.url) ? new URL(provider.url).host : "unknown"
    const search = Effect.fn("SearxngSearch.search")(function* (query: string, limit: number) {
      yield* Effect.annotateCurrentSpan({ provider: provider._tag, "upstream.host": host })
      if (limit <= 0 || query.trim().length === 0) return []
      yield* breaker
        .spend(UpstreamBudget.take(limiter, budget))
        .pipe(Effect.catchTag("BreakerOpen", (open) => Effect.fail(CircuitBreaker.skipped("search")(open))))
      // The Brave key travels in a header, never in a span attribute.
      const response = yield* call(query.trim(), limit).pipe(
        Effect.tapBoth({
          onFailure: (error) => breaker.record(CircuitBreaker.transportOutcome(error), error.message),
          onSuccess: (reply) => breaker.record(CircuitBreaker.statusOutcome(reply.status), `answered ${reply.status}`)
        }),
        Effect.mapError(transportFailure)
      )
      const body = response.body.toString("utf8")
      yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
      if (response.status === 429) yield* Metrics.recordRateLimited("search")
      if (response.status < 200 || response.status >= 300) return yield* statusFailure(provider, response, body)
      const json = yield* Either.try((): unknown => JSON.parse(body)).pipe(
        Either.mapLeft(() => upstream("malformed_response", "search answered with something other than JSON"))
      )
      return toHits(rawHits(json), limit)
    }, Metrics.trackUpstream("search"))

    return WebSearch.of({ search })
  })

/** The adapter with its own HTTP client; the budget store (`RateLimiter`) comes from the root. */
export const layer = (options: Options): Layer.Layer<WebSearch, never, RateLimiter.RateLimiter> =>
  Layer.effect(WebSearch, make(options))

/**
 * The configured provider: SearXNG when `SEARXNG_URL` is set, else Brave when `BRAVE_SEARCH_API_KEY` is set
 * (`BRAVE_SEARCH_URL` overrides its endpoint), else none.
 */
export const providerConfig: Config.Config<Option.Option<Provider>> = Config.all({
  searxng: optionalString("SEARXNG_URL"),
  braveKey: optionalSecret("BRAVE_SEARCH_API_KEY"),
  braveUrl: optionalString("BRAVE_SEARCH_URL")
}).pipe(
  Config.mapOrFail(
    ({ braveKey, braveUrl, searxng }): Either.Either<Option.Option<Provider>, ConfigError.ConfigError> => {
      if (Option.isSome(searxng)) {
        return Either.map(httpUrl("SEARXNG_URL")(searxng.value), (url) => Option.some({ _tag: "Searxng", url }))
      }
      if (Option.isSome(braveKey)) {
        return Either.map(httpUrl("BRAVE_SEARCH_URL")(Option.getOrElse(braveUrl, () => braveDefaultUrl)), (url) =>
          Option.some({ _tag: "Brave", apiKey: braveKey.value, url })
        )
      }
      return Either.right(Option.none())
    }
  )
)

/**
 * Reads the provider (see `providerConfig`) and `SCRIBE_SEARCH_RPS` (default 1). Fails, naming the variables, when no
 * provider is configured.
 */
export const layerConfig: Layer.Layer<WebSearch, ConfigError.ConfigError, RateLimiter.RateLimiter> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const provider = yield* providerConfig
    const requestsPerSecond = yield* Config.number("SCRIBE_SEARCH_RPS").pipe(
      Config.withDefault(1),
      Config.validate({ message: "SCRIBE_SEARCH_RPS must be at least 1", validation: (n) => n >= 1 })
    )
    if (Option.isNone(provider)) {
      return yield* Effect.fail(
        ConfigError.MissingData([], "No web search is configured: set SEARXNG_URL or BRAVE_SEARCH_API_KEY")
      )
    }
    return layer({ provider: provider.value, requestsPerSecond })
  })
)
