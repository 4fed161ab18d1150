/**
 * Looking recipients up in the scholarly sources, in their configured order: a later source is asked only about the
 * recipients the earlier ones know too little about (fewer than `enoughWorks` recent works under the name), or could
 * not be asked. Answers come from the author cache when it has them; the rest are grouped per source across
 * concurrent jobs and the batch prefetch (`GroupedCalls`), and what a source answers is cached.
 */
import { Clock, type Context, Effect, Either, Schema, type Scope } from "effect"
import type { AuthorCache } from "../upstream/AuthorCache"
import type { PaperSource } from "../upstream/Paper"
import {
  type AuthorCandidate,
  type AuthorQuery,
  CandidatesJson,
  type LookupOptions,
  type ScholarlySource
} from "../upstream/ScholarlySource"
import type { UpstreamError } from "../upstream/UpstreamError"
import * as GroupedCalls from "./GroupedCalls"
import { isSameAuthor } from "./Names"
import { paperKeys } from "./PaperMerge"

/** How one source fared for one recipient. */
export interface SourceOutcome {
  readonly source: PaperSource
  /** Answered from the author cache: no request was made. */
  readonly cached: boolean
  readonly error: UpstreamError | null
  readonly candidates: number
}

export interface Lookup {
  /** Every candidate the consulted sources listed, in source order. */
  readonly candidates: ReadonlyArray<AuthorCandidate>
  readonly consulted: ReadonlyArray<SourceOutcome>
}

export interface Options {
  /** Works older than this many years are not asked for. */
  readonly recencyYears: number
  /** Works per author at most. */
  readonly maxWorks: number
  /** Recent works under the recipient's name that make the next source unnecessary. */
  readonly enoughWorks: number
}

const lookupOptions = (options: Options): Effect.Effect<LookupOptions> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const since = new Date(now)
    since.setUTCFullYear(since.getUTCFullYear() - options.recencyYears)
    return { since, maxWorks: options.maxWorks }
  })

export interface ScholarlyLookup {
  readonly lookup: (query: AuthorQuery) => Effect.Effect<Lookup>
  /** `background`: looked up ahead (a batch's later jobs); a job's own lookups go first. */
  readonly lookupMany: (
    queries: ReadonlyArray<AuthorQuery>,
    options?: { readonly background?: boolean }
  ) => Effect.Effect<ReadonlyArray<Lookup>>
}

const decodeCached = Schema.decodeUnknownEither(CandidatesJson)
const encodeCached = Schema.encodeSync(CandidatesJson)

/** Recent works (distinct papers, merged as `PaperMerge` does) that list an author matching the recipient's name. */
export const recentWorks = (query: AuthorQuery, candidates: ReadonlyArray<AuthorCandidate>, since: Date): number => {
  const seen = new Set<string>()
  let count = 0
  for (const candidate of candidates) {
    const named =
      candidate.nameOnly || [candidate.name, ...candidate.alternativeNames].some((n) => isSameAuthor(query.name, n))
    if (!named) continue
    for (const work of candidate.works) {
      if (work.published.getTime() < since.getTime()) continue
      if (candidate.nameOnly && !work.authors.some((a) => isSameAuthor(query.name, a))) continue
      const keys = paperKeys(work)
      const own = keys.length > 0 ? keys : [`id:${work.source}:${work.id}`]
      if (own.some((k) => seen.has(k))) continue
      for (const k of own) seen.add(k)
      count += 1
    }
  }
  return count
}

export const make = (
  sources: ReadonlyArray<ScholarlySource>,
  cache: Context.Tag.Service<AuthorCache> | null,
  options: Options
): Effect.Effect<ScholarlyLookup, never, Scope.Scope> =>
  Effect.gen(function* () {
    const cacheKey = (source: ScholarlySource, query: AuthorQuery) => `${source.name}:${source.keyOf(query)}`
    const entries = yield* Effect.forEach(sources, (source) =>
      Effect.map(
        GroupedCalls.make<AuthorQuery, ReadonlyArray<AuthorCandidate>, UpstreamError>({
          maxGroup: source.maxGroup,
          concurrency: source.concurrency,
          keyOf: source.keyOf,
          call: (queries) =>
            Effect.flatMap(lookupOptions(options), (asked) => source.lookup(queries, asked)).pipe(
              Effect.tap((answers) =>
                cache === null
                  ? Effect.void
                  : cache.put(
                      queries.map((query, i) => ({
                        key: cacheKey(source, query),
                        value: encodeCached(answers[i] ?? [])
                      }))
                    )
              ),
              Effect.withSpan("ScholarlyLookup.call", { attributes: { source: source.name, queries: queries.length } })
            )
        }),
        (calls) => ({ source, calls })
      )
    )

    const cached = (keys: ReadonlyArray<string>) =>
      cache === null ? Effect.succeed(new Map<string, string>()) : cache.get(keys)

    const lookupMany = (queries: ReadonlyArray<AuthorQuery>, asked: { readonly background?: boolean } = {}) =>
      Effect.gen(function* () {
        const { since } = yield* lookupOptions(options)
        const candidates = queries.map((): Array<AuthorCandidate> => [])
        const consulted = queries.map((): Array<SourceOutcome> => [])
        let pending = queries.map((_, i) => i)
        for (const { source, calls } of entries) {
          if (pending.length === 0) break
          const keys = pending.map((i) => cacheKey(source, queries[i]!))
          const hits = yield* cached(keys)
          const hit = (n: number) => {
            const text = hits.get(keys[n]!)
            const decoded = text === undefined ? null : decodeCached(text)
            return decoded !== null && Either.isRight(decoded) ? decoded.right : null
          }
          const misses = pending.filter((_, n) => hit(n) === null)
          const answered = yield* calls.askAll(
            misses.map((i) => queries[i]!),
            asked
          )
          const byIndex = new Map(misses.map((i, n) => [i, answered[n]!]))
          const answers = pending.map((i, n) => {
            const fromCache = hit(n)
            return fromCache !== null
              ? { i, cached: true, answer: Either.right<ReadonlyArray<AuthorCandidate>>(fromCache) }
              : { i, cached: false, answer: byIndex.get(i)! }
          })
          const next: Array<number> = []
          for (const { i, cached: fromCache, answer } of answers) {
            const found = Either.getOrElse(answer, () => [])
            candidates[i]!.push(...found)
            consulted[i]!.push({
              source: source.name,
              cached: fromCache,
              error: Either.isLeft(answer) ? answer.left : null,
              candidates: found.length
            })
            if (recentWorks(queries[i]!, candidates[i]!, since) < options.enoughWorks) next.push(i)
          }
          pending = next
        }
        return queries.map((_, i): Lookup => ({ candidates: candidates[i]!, consulted: consulted[i]! }))
      }).pipe(
        Effect.withSpan("ScholarlyLookup.lookupMany", {
          attributes: { queries: queries.length, background: asked.background ?? false }
        })
      )

    return {
      lookupMany,
      lookup: (query) => Effect.map(lookupMany([query]), (all) => all[0]!)
    }
  })
