/**
 * The two research steps, effectful halves of `WebResearch.ts` and `ScholarlyLookup.ts`: web research (search, pages,
 * facts) and the scholarly lookup. Neither needs the template analysis to start: the queries are built from the
 * template's keyword type (the same for the model's analysis in all but odd cases), and only fact extraction, whose
 * prompt uses the analysis, waits for it.
 */
import { type Context, Effect, Fiber, type Option } from "effect"
import type { GenerationFailed } from "../jobs/Generator"
import type { Job } from "../jobs/Job"
import type { AuthorQuery } from "../upstream/ScholarlySource"
import type { Page, Scraper } from "../upstream/Scraper"
import type { SearchHit, WebSearch } from "../upstream/WebSearch"
import { canonicalUrl, type Fact } from "./Evidence"
import { describeError, logged } from "./Failures"
import type { Options } from "./PipelineOptions"
import type { Run } from "./RunBookkeeping"
import type { Lookup, ScholarlyLookup } from "./ScholarlyLookup"
import type { Strategy } from "./Strategy"
import { analyseHeuristically, type TemplateAnalysis } from "./TemplateAnalysis"
import { mergeHits, queries } from "./WebResearch"

export interface WebFindings {
  readonly queries: ReadonlyArray<string>
  readonly hits: ReadonlyArray<SearchHit>
  readonly pages: ReadonlyArray<Page>
  readonly pagesFailed: number
  readonly facts: ReadonlyArray<Fact>
}

export interface Dependencies {
  readonly search: Context.Tag.Service<WebSearch>
  readonly scraper: Context.Tag.Service<Scraper>
  readonly lookup: ScholarlyLookup
}

export const make = (strategy: Strategy, options: Options, deps: Dependencies) => {
  const searchFor = (q: string, run: Run) =>
    deps.search.search(q, options.searchResultsPerQuery).pipe(
      Effect.tapError((e) => Effect.zipRight(logged(e), run.warn(`search "${q}": ${describeError(e)}`))),
      Effect.orElseSucceed((): ReadonlyArray<SearchHit> => [])
    )

  const web = Effect.fn("Pipeline.webResearch")(function* (
    job: Job,
    name: string,
    analysis: Effect.Effect<TemplateAnalysis, GenerationFailed>,
    run: Run
  ) {
    const qs = queries(name, job.recipientInterest, analyseHeuristically(job.emailTemplate).templateType)
    const fetching = yield* Effect.makeSemaphore(options.fetchConcurrency)
    const started = new Map<string, Fiber.Fiber<Option.Option<Page>>>()
    const fetchOnce = (hit: SearchHit) =>
      Effect.suspend(() => {
        const key = canonicalUrl(hit.url)
        if (started.has(key)) return Effect.void
        const page = deps.scraper.fetchPage(hit.url).pipe(
          Effect.tapError((e) =>
            Effect.zipRight(logged(e), run.warn(`search result "${hit.title}": ${describeError(e)}`))
          ),
          Effect.option,
          fetching.withPermits(1)
        )
        return Effect.map(Effect.fork(page), (fiber) => {
          started.set(key, fiber)
        })
      })
    // The search budget spaces the queries (one a second by default): the pages a query's results are sure to
    // contribute — rank r of query k lands at r·n + k or earlier in the merged list — are fetched as soon as it
    // answers, not after the last query.
    const sure = (k: number) => Math.max(0, Math.ceil((options.maxPages - k) / qs.length))
    const results = yield* Effect.forEach(
      qs,
      (q, k) =>
        searchFor(q, run).pipe(
          Effect.tap((found) => Effect.forEach(mergeHits([found]).slice(0, sure(k)), fetchOnce, { discard: true }))
        ),
      { concurrency: "unbounded" }
    )
    const hits = mergeHits(results)
    const top = hits.slice(0, options.maxPages)
    yield* Effect.forEach(top, fetchOnce, { discard: true })
    const fetched = yield* Effect.forEach(top, (hit) => Fiber.join(started.get(canonicalUrl(hit.url))!))
    const pages = fetched.flatMap((p) => (p._tag === "Some" ? [p.value] : []))
    const seenUrls = [...hits.map((h) => h.url), ...pages.map((p) => p.url)]
    const facts = yield* strategy.extractFacts(
      { name, interest: job.recipientInterest, analysis: yield* analysis, hits, pages, seenUrls },
      run
    )
    return {
      queries: qs,
      hits,
      pages,
      pagesFailed: fetched.length - pages.length,
      facts: facts.slice(0, options.maxFacts)
    } satisfies WebFindings
  })

  const scholarly = Effect.fn("Pipeline.scholarlyLookup")(function* (query: AuthorQuery, run: Run) {
    const found: Lookup = yield* deps.lookup.lookup(query)
    for (const outcome of found.consulted) {
      if (outcome.error !== null) {
        yield* logged(outcome.error)
        yield* run.warn(describeError(outcome.error))
      }
    }
    return found
  })

  return { web, scholarly }
}
