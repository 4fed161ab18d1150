import * as ScholarlySources from "@scribe/adapters/scholarly/ScholarlySources"
import * as SafeScraper from "@scribe/adapters/scraper/SafeScraper"
import * as SqlAuthorCache from "@scribe/adapters/sql/SqlAuthorCache"
import * as OpenAiLlm from "@scribe/adapters/upstream/OpenAiLlm"
import * as SearxngSearch from "@scribe/adapters/upstream/SearxngSearch"
import * as BatchRecipients from "@scribe/core/pipeline/BatchRecipients"
import * as Pipeline from "@scribe/core/pipeline/Pipeline"
import { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { WebSearch } from "@scribe/core/upstream/WebSearch"
import { Effect, Layer, Option } from "effect"

/**
 * No search engine configured: every search answers that, so the pipeline records it among the email's warnings and
 * researches with what else it has (the scholarly sources). Not a stand-in for results: it never returns any.
 */
const searchNotConfigured = Layer.succeed(
  WebSearch,
  WebSearch.of({
    search: () =>
      Effect.fail(
        new UpstreamError({
          service: "search",
          kind: "unavailable",
          message: "No search engine configured (set SEARXNG_URL or BRAVE_SEARCH_API_KEY)",
          retryAfterMs: null,
          hint: "no search engine is configured"
        })
      )
  })
)

/**
 * The pipeline as the environment configures it: the language-model composer when `OPENAI_API_KEY` or
 * `OPENAI_BASE_URL` is set, otherwise the labelled deterministic composer (never confident). Search through SearXNG
 * or Brave when configured; pages through the SSRF-safe scraper; papers from the scholarly sources in the order
 * `SCRIBE_SCHOLARLY_SOURCES` gives (OpenAlex, Semantic Scholar, arXiv), remembered in the author cache (a table of the
 * service's database). Needs the upstream budgets (`RateLimiter`) and, from the root's stores, the `SqlClient` and the
 * `Repo` (a batch's other recipients are read from it).
 */
export const layerConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const withLlm = yield* OpenAiLlm.isConfigured
    const provider = yield* SearxngSearch.providerConfig
    const search = Option.isSome(provider) ? SearxngSearch.layerConfig : searchNotConfigured
    const research = Layer.mergeAll(
      search,
      SafeScraper.layerConfig,
      ScholarlySources.layerConfig,
      SqlAuthorCache.layerConfig,
      BatchRecipients.layerFromRepo
    )
    if (!withLlm) {
      yield* Effect.logWarning(
        "No LLM configured (OPENAI_API_KEY / OPENAI_BASE_URL): emails use the deterministic composer"
      )
    }
    if (Option.isNone(provider))
      yield* Effect.logWarning("No search engine configured (SEARXNG_URL / BRAVE_SEARCH_API_KEY)")
    return withLlm
      ? Pipeline.layer.pipe(Layer.provide(Layer.merge(research, OpenAiLlm.layerConfig)))
      : Pipeline.layerNoLlm.pipe(Layer.provide(research))
  })
)
