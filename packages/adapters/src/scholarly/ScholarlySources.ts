import type * as RateLimiter from "@effect/experimental/RateLimiter"
import * as ArxivSource from "@scribe/core/upstream/ArxivSource"
import type { PaperSource } from "@scribe/core/upstream/Paper"
import { type ScholarlySource, ScholarlySources } from "@scribe/core/upstream/ScholarlySource"
import { Config, ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"
import * as ArxivApi from "../upstream/ArxivApi"
import * as OpenAlex from "./OpenAlex"
import * as SemanticScholar from "./SemanticScholar"

/** Every source, in the default order: identities first (OpenAlex, Semantic Scholar), arXiv's name search last. */
export const knownSources: ReadonlyArray<PaperSource> = ["openalex", "semantic_scholar", "arxiv"]

const optionalString = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.map((v) => v.trim())),
    Config.map(Option.filter((v) => v.length > 0))
  )

const optionalSecret = (name: string) =>
  Config.option(Config.redacted(name)).pipe(Config.map(Option.filter((v) => Redacted.value(v).trim().length > 0)))

const httpUrl = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be an absolute http(s) URL`,
      validation: (u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol)
    })
  )

const rate = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be a number of requests per second between 0.01 and 1000`,
      validation: (n) => Number.isFinite(n) && n >= 0.01 && n <= 1000
    })
  )

/**
 * `SCRIBE_SCHOLARLY_SOURCES`: a comma-separated list of `openalex`, `semantic_scholar`, `arxiv` in the order they are
 * asked. Unset: all three, OpenAlex only when `OPENALEX_API_KEY` is set (OpenAlex requires a key); listing
 * `openalex` without a key is an error.
 */
export const orderConfig: Config.Config<ReadonlyArray<PaperSource>> = Config.all({
  listed: optionalString("SCRIBE_SCHOLARLY_SOURCES"),
  key: optionalSecret("OPENALEX_API_KEY")
}).pipe(
  Config.mapOrFail(({ key, listed }): Either.Either<ReadonlyArray<PaperSource>, ConfigError.ConfigError> => {
    const invalid = (message: string) => Either.left(ConfigError.InvalidData(["SCRIBE_SCHOLARLY_SOURCES"], message))
    if (Option.isNone(listed)) {
      return Either.right(knownSources.filter((s) => s !== "openalex" || Option.isSome(key)))
    }
    const names = listed.value.split(",").map((n) => n.trim().toLowerCase())
    const unknown = names.filter((n) => !knownSources.includes(n as PaperSource))
    if (unknown.length > 0) {
      return invalid(
        `SCRIBE_SCHOLARLY_SOURCES lists unknown source(s) ${unknown.map((u) => `"${u}"`).join(", ")}; known: ${knownSources.join(", ")}`
      )
    }
    if (new Set(names).size !== names.length) return invalid("SCRIBE_SCHOLARLY_SOURCES lists a source twice")
    if (names.includes("openalex") && Option.isNone(key)) {
      return invalid("SCRIBE_SCHOLARLY_SOURCES lists openalex, which needs OPENALEX_API_KEY (free at openalex.org)")
    }
    return Either.right(names as ReadonlyArray<PaperSource>)
  })
)

/** `OPENALEX_API_URL`, `OPENALEX_API_KEY`, `OPENALEX_MAILTO`, `SCRIBE_OPENALEX_RPS` (default 10). */
const openAlexConfig = Config.all({
  url: httpUrl("OPENALEX_API_URL", OpenAlex.defaultUrl),
  apiKey: optionalSecret("OPENALEX_API_KEY"),
  mailto: optionalString("OPENALEX_MAILTO"),
  requestsPerSecond: rate("SCRIBE_OPENALEX_RPS", 10)
})

/** `SEMANTIC_SCHOLAR_API_URL`, `SEMANTIC_SCHOLAR_API_KEY`, `SCRIBE_SEMANTIC_SCHOLAR_RPS` (default 1). */
const semanticScholarConfig = Config.all({
  url: httpUrl("SEMANTIC_SCHOLAR_API_URL", SemanticScholar.defaultUrl),
  apiKey: optionalSecret("SEMANTIC_SCHOLAR_API_KEY"),
  requestsPerSecond: rate("SCRIBE_SEMANTIC_SCHOLAR_RPS", 1)
})

/** The sources as configured, in order; each with its own HTTP client and budget (from the root's `RateLimiter`). */
export const make: Effect.Effect<
  ReadonlyArray<ScholarlySource>,
  ConfigError.ConfigError,
  RateLimiter.RateLimiter
> = Effect.gen(function* () {
  const order = yield* orderConfig
  if (!order.includes("openalex") && Option.isNone(yield* optionalSecret("OPENALEX_API_KEY"))) {
    yield* Effect.logInfo("OpenAlex is not asked: set OPENALEX_API_KEY (free at openalex.org) to use it")
  }
  return yield* Effect.forEach(order, (name) => {
    switch (name) {
      case "openalex":
        return Effect.flatMap(openAlexConfig, (c) =>
          Option.isNone(c.apiKey)
            ? Effect.dieMessage("unreachable: openalex listed without a key")
            : OpenAlex.make({ ...c, apiKey: c.apiKey.value })
        )
      case "semantic_scholar":
        return Effect.flatMap(semanticScholarConfig, SemanticScholar.make)
      case "arxiv":
        return Effect.map(Effect.flatMap(ArxivApi.optionsConfig, ArxivApi.make), ArxivSource.make)
    }
  })
})

/** `ScholarlySources` from the environment (see `orderConfig`). */
export const layerConfig: Layer.Layer<ScholarlySources, ConfigError.ConfigError, RateLimiter.RateLimiter> =
  Layer.effect(
    ScholarlySources,
    Effect.map(make, (sources) => ScholarlySources.of({ sources }))
  )
