import { type Duration, Effect, Layer, Ref } from "effect"
import { BatchRecipients } from "../pipeline/BatchRecipients"
import { isSameAuthor } from "../pipeline/Names"
import { Arxiv } from "../upstream/Arxiv"
import * as ArxivSource from "../upstream/ArxivSource"
import type { Paper } from "../upstream/Paper"
import type { AuthorQuery } from "../upstream/ScholarlySource"
import { type AuthorCandidate, type ScholarlySource, ScholarlySources } from "../upstream/ScholarlySource"
import { Page, Scraper } from "../upstream/Scraper"
import { UpstreamError } from "../upstream/UpstreamError"
import { type SearchHit, WebSearch } from "../upstream/WebSearch"
import * as AuthorCacheMemory from "./AuthorCacheMemory"

export interface World {
  /** Search results: the same list for every query, or per query. */
  readonly hits?: ReadonlyArray<SearchHit> | ((query: string) => ReadonlyArray<SearchHit>)
  /** Pages by URL; any other URL is `not_found`. */
  readonly pages?: ReadonlyArray<Page>
  /** What arXiv returns for any author query (homonyms included, as the real API would). */
  readonly papers?: ReadonlyArray<Paper>
  /**
   * Authors an identity source (answering as `openalex`, asked before arXiv) lists: those matching the query's name.
   * Absent: arXiv is the only scholarly source.
   */
  readonly authors?: ReadonlyArray<AuthorCandidate>
  /** What `BatchRecipients` answers for a job of a batch: the batch's other recipients. */
  readonly batch?: ReadonlyArray<AuthorQuery>
  readonly failures?: {
    readonly search?: UpstreamError
    readonly pages?: Readonly<Record<string, UpstreamError>>
    readonly arxiv?: UpstreamError
  }
  /** Time each call takes (through Effect's clock, so `TestClock` drives it). */
  readonly latency?: {
    /** One for every query, or per query. */
    readonly search?: Duration.DurationInput | ((query: string) => Duration.DurationInput)
    readonly page?: Duration.DurationInput
    readonly arxiv?: Duration.DurationInput
  }
}

export interface ArxivQuery {
  readonly author: string
  readonly topic: string | null
  readonly maxResults: number
}

const pause = (latency: Duration.DurationInput | undefined) =>
  latency === undefined ? Effect.void : Effect.sleep(latency)

/**
 * Scripted in-memory search engine, page fetcher and arXiv for unit tests, recording every call; the scholarly sources
 * are arXiv over the scripted arXiv (behind a scripted identity source when `authors` is given), with an in-memory
 * author cache and the batch recipients `batch` names.
 */
export const make = (world: World) =>
  Effect.gen(function* () {
    const searches = yield* Ref.make<ReadonlyArray<string>>([])
    const fetches = yield* Ref.make<ReadonlyArray<string>>([])
    const arxivQueries = yield* Ref.make<ReadonlyArray<ArxivQuery>>([])
    const pages = new Map((world.pages ?? []).map((p) => [p.url, p]))

    const webSearch = WebSearch.of({
      search: (query, limit) =>
        Effect.gen(function* () {
          yield* Ref.update(searches, (all) => [...all, query])
          const latency = world.latency?.search
          yield* pause(typeof latency === "function" ? latency(query) : latency)
          if (world.failures?.search !== undefined) return yield* Effect.fail(world.failures.search)
          const hits = typeof world.hits === "function" ? world.hits(query) : (world.hits ?? [])
          return hits.slice(0, limit)
        })
    })

    const scraper = Scraper.of({
      fetchPage: (url) =>
        Effect.gen(function* () {
          yield* Ref.update(fetches, (all) => [...all, url])
          yield* pause(world.latency?.page)
          const failure = world.failures?.pages?.[url]
          if (failure !== undefined) return yield* Effect.fail(failure)
          const page = pages.get(url)
          if (page === undefined) {
            return yield* Effect.fail(
              new UpstreamError({ service: "page", kind: "not_found", message: `404 ${url}`, retryAfterMs: null })
            )
          }
          return page
        })
    })

    const arxiv = Arxiv.of({
      searchByAuthor: (query) =>
        Effect.gen(function* () {
          yield* Ref.update(arxivQueries, (all) => [...all, query])
          yield* pause(world.latency?.arxiv)
          if (world.failures?.arxiv !== undefined) return yield* Effect.fail(world.failures.arxiv)
          return (world.papers ?? []).slice(0, query.maxResults)
        })
    })

    const authorQueries = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
    const identities: ScholarlySource = {
      name: "openalex",
      maxGroup: 25,
      concurrency: 2,
      keyOf: (q) => q.name,
      lookup: (queries) =>
        Effect.gen(function* () {
          yield* Ref.update(authorQueries, (all) => [...all, queries.map((q) => q.name)])
          yield* pause(world.latency?.arxiv)
          return queries.map((q) => (world.authors ?? []).filter((a) => isSameAuthor(q.name, a.name)))
        })
    }
    const sources = [...(world.authors === undefined ? [] : [identities]), ArxivSource.make(arxiv)]
    const cache = yield* AuthorCacheMemory.make()
    const batch = BatchRecipients.of({
      others: (job) => Effect.succeed(job.batchId === null ? [] : (world.batch ?? []))
    })

    return {
      webSearch,
      scraper,
      arxiv,
      layer: Layer.mergeAll(
        Layer.succeed(WebSearch, webSearch),
        Layer.succeed(Scraper, scraper),
        Layer.succeed(Arxiv, arxiv),
        Layer.succeed(ScholarlySources, ScholarlySources.of({ sources })),
        cache.layer,
        Layer.succeed(BatchRecipients, batch)
      ),
      /** What the author cache holds. */
      cached: cache.entries,
      searches: Ref.get(searches),
      fetches: Ref.get(fetches),
      arxivQueries: Ref.get(arxivQueries),
      /** The identity source's lookups, each a group of names. */
      authorQueries: Ref.get(authorQueries)
    }
  })

/** A page as the scraper returns it. */
export const page = (url: string, title: string, text: string) => new Page({ url, title, text })
