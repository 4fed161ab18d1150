import type * as RateLimiter from "@effect/experimental/RateLimiter"
import { foldAccents, isSameAuthor } from "@scribe/core/pipeline/Names"
import { Paper } from "@scribe/core/upstream/Paper"
import {
  AuthorCandidate,
  type AuthorQuery,
  type LookupOptions,
  type ScholarlySource
} from "@scribe/core/upstream/ScholarlySource"
import { type Duration, Effect, Option, Redacted, Schema } from "effect"
import * as ScholarlyHttp from "./ScholarlyHttp"

/**
 * OpenAlex as a scholarly source (https://developers.openalex.org). A group of names costs one author search (a
 * boolean `search` of the names OR-ed, paged) and then the works of the matching authors by id, up to 50 ids per
 * request (`filter=authorships.author.id:A1|A2`), packed so that one page of 100 holds their recent works. An API key
 * is required (since February 2026); `mailto` identifies the caller as OpenAlex asks.
 */

export const defaultUrl = "https://api.openalex.org"

export interface Options {
  readonly url: string
  readonly apiKey: Redacted.Redacted<string>
  readonly mailto: Option.Option<string>
  /** Requests per second across every worker sharing the budget store (OpenAlex allows 100 with a key). */
  readonly requestsPerSecond: number
  readonly timeout?: Duration.DurationInput
  /** Names per author search (default 25: the query stays well inside OpenAlex's ~4 KB URL). */
  readonly namesPerSearch?: number
  /** The budget's key (default `openalex`). */
  readonly budgetKey?: string
}

const nullable = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null })
const list = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(Schema.NullOr(Schema.Array(schema)), { default: () => [] })

const Institution = Schema.Struct({ display_name: nullable(Schema.String) })

const Author = Schema.Struct({
  id: Schema.String,
  display_name: nullable(Schema.String),
  display_name_alternatives: list(Schema.String),
  orcid: nullable(Schema.String),
  last_known_institutions: list(Institution),
  affiliations: list(Schema.Struct({ institution: Institution, years: list(Schema.Number) })),
  topics: list(Schema.Struct({ display_name: Schema.String })),
  works_count: nullable(Schema.Number),
  counts_by_year: list(Schema.Struct({ year: Schema.Number, works_count: Schema.Number }))
})
type Author = typeof Author.Type

const Location = Schema.Struct({ landing_page_url: nullable(Schema.String) })

const Work = Schema.Struct({
  id: Schema.String,
  doi: nullable(Schema.String),
  title: nullable(Schema.String),
  display_name: nullable(Schema.String),
  publication_date: nullable(Schema.String),
  authorships: list(
    Schema.Struct({ author: Schema.Struct({ id: nullable(Schema.String), display_name: nullable(Schema.String) }) })
  ),
  primary_location: nullable(Location),
  locations: list(Location),
  abstract_inverted_index: nullable(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.Number) }))
})
type Work = typeof Work.Type

const ListOf = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.Struct({ meta: Schema.Struct({ count: Schema.Number }), results: Schema.Array(item) })

const decodeAuthors = Schema.decodeUnknownEither(ListOf(Author))
const decodeWorks = Schema.decodeUnknownEither(ListOf(Work))

const authorFields =
  "id,display_name,display_name_alternatives,orcid,last_known_institutions,affiliations,topics,works_count,counts_by_year"
const workFields =
  "id,doi,title,display_name,publication_date,authorships,primary_location,locations,abstract_inverted_index"

const perPage = 100
const maxIdsPerRequest = 50
const maxPages = 3

const shortId = (id: string) => id.replace(/^https?:\/\/openalex\.org\//i, "")

/** The words of a name OpenAlex should find, without initials or query syntax: `(ada AND lovelace)`. */
export const nameClause = (name: string): string | null => {
  const words = foldAccents(name)
    .toLowerCase()
    .split(/[^\p{L}\p{N}'-]+/u)
    .map((w) => w.replace(/^['-]+|['-]+$/g, ""))
    .filter((w) => w.length > 1)
  return words.length === 0 ? null : `(${words.join(" AND ")})`
}

/** The abstract from OpenAlex's inverted index (word → positions). */
export const abstractText = (index: Readonly<Record<string, ReadonlyArray<number>>> | null): string => {
  if (index === null) return ""
  const words: Array<string> = []
  for (const [word, positions] of Object.entries(index)) for (const p of positions) words[p] = word
  return words.filter((w) => w !== undefined).join(" ")
}

const arxivPattern = /arxiv\.org\/(?:abs|pdf)\/([^?#\s]+?)(?:v\d+)?(?:\.pdf)?$/i

const toPaper = (work: Work): Paper | null => {
  const title = (work.title ?? work.display_name ?? "").replace(/\s+/g, " ").trim()
  const published = new Date(work.publication_date ?? "")
  if (title === "" || Number.isNaN(published.getTime())) return null
  const doi = work.doi === null ? null : work.doi.replace(/^https?:\/\/(dx\.)?doi\.org\//i, "").toLowerCase()
  const landing = [work.primary_location, ...(work.locations ?? [])].map((l) => l?.landing_page_url ?? null)
  const arxivFromDoi = doi === null ? null : (/^10\.48550\/arxiv\.(.+)$/.exec(doi)?.[1] ?? null)
  const arxivFromLink = landing.map((u) => (u === null ? null : (arxivPattern.exec(u)?.[1] ?? null))).find((id) => id)
  return new Paper({
    id: shortId(work.id),
    title,
    authors: (work.authorships ?? []).flatMap((a) => (a.author.display_name === null ? [] : [a.author.display_name])),
    summary: abstractText(work.abstract_inverted_index),
    published,
    url: landing.find((u) => u !== null) ?? (doi === null ? work.id : `https://doi.org/${doi}`),
    source: "openalex",
    doi,
    arxivId: arxivFromDoi ?? arxivFromLink ?? null
  })
}

const affiliationsOf = (author: Author): ReadonlyArray<string> => {
  const byRecency = [...(author.affiliations ?? [])].sort(
    (a, b) => Math.max(0, ...(b.years ?? [])) - Math.max(0, ...(a.years ?? []))
  )
  const names = [
    ...(author.last_known_institutions ?? []).map((i) => i.display_name),
    ...byRecency.map((a) => a.institution.display_name)
  ].filter((n): n is string => n !== null && n.trim() !== "")
  return [...new Set(names)]
}

/** Recent works OpenAlex counts for the author: what one works request must make room for. */
const expectedWorks = (author: Author, since: Date) => {
  const counts = author.counts_by_year ?? []
  const recent = counts.filter((c) => c.year >= since.getUTCFullYear()).reduce((n, c) => n + c.works_count, 0)
  return Math.min(perPage, counts.length > 0 ? recent : (author.works_count ?? perPage))
}

/** Authors packed into works requests: at most 50 ids, and as far as can be told, one page of works each. */
export const packAuthors = <A>(
  authors: ReadonlyArray<A>,
  expected: (author: A) => number
): ReadonlyArray<ReadonlyArray<A>> => {
  const groups: Array<Array<A>> = []
  let current: Array<A> = []
  let load = 0
  for (const author of [...authors].sort((a, b) => expected(a) - expected(b))) {
    const n = Math.max(1, expected(author))
    if (current.length > 0 && (current.length >= maxIdsPerRequest || load + n > perPage)) {
      groups.push(current)
      current = []
      load = 0
    }
    current.push(author)
    load += n
  }
  if (current.length > 0) groups.push(current)
  return groups
}

export const make = (options: Options): Effect.Effect<ScholarlySource, never, RateLimiter.RateLimiter> =>
  Effect.gen(function* () {
    const http = yield* ScholarlyHttp.make({
      service: "openalex",
      label: "OpenAlex",
      // Evenly paced: OpenAlex counts requests per second.
      budget: ScholarlyHttp.evenlyPaced(options.budgetKey ?? "openalex", options.requestsPerSecond),
      timeout: options.timeout ?? "20 seconds"
    })
    const namesPerSearch = options.namesPerSearch ?? 25

    const url = (path: string, params: Record<string, string>) => {
      const u = new URL(path, options.url.endsWith("/") ? options.url : `${options.url}/`)
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
      u.searchParams.set("api_key", Redacted.value(options.apiKey))
      if (Option.isSome(options.mailto)) u.searchParams.set("mailto", options.mailto.value)
      return u
    }

    /** Pages through a list while OpenAlex has more and `more` says it is worth it. */
    const pages = <A>(
      path: string,
      params: Record<string, string>,
      decode: (json: unknown) => ReturnType<typeof decodeAuthors> | ReturnType<typeof decodeWorks>,
      more: (fetched: ReadonlyArray<A>) => boolean
    ) =>
      Effect.gen(function* () {
        const all: Array<A> = []
        for (let page = 1; page <= maxPages; page++) {
          const json = yield* http.request({
            url: url(path, { ...params, per_page: String(perPage), page: String(page) })
          })
          const decoded = decode(json)
          if (decoded._tag === "Left") {
            return yield* Effect.fail(
              ScholarlyHttp.malformed("openalex", "OpenAlex answered with a list of an unexpected shape")
            )
          }
          all.push(...(decoded.right.results as ReadonlyArray<A>))
          if (all.length >= decoded.right.meta.count || decoded.right.results.length < perPage || !more(all)) break
        }
        return all
      })

    const searchAuthors = (queries: ReadonlyArray<AuthorQuery>) => {
      const clauses = [...new Set(queries.flatMap((q) => nameClause(q.name) ?? []))]
      if (clauses.length === 0) return Effect.succeed([] as ReadonlyArray<Author>)
      return pages<Author>("authors", { search: clauses.join(" OR "), select: authorFields }, decodeAuthors, () => true)
    }

    const worksOf = (authors: ReadonlyArray<Author>, lookup: LookupOptions) =>
      Effect.forEach(
        packAuthors(authors, (a) => expectedWorks(a, lookup.since)),
        (group) => {
          const ids = new Set(group.map((a) => shortId(a.id).toUpperCase()))
          const enough = (works: ReadonlyArray<Work>) =>
            [...ids].some(
              (id) =>
                works.filter((w) => (w.authorships ?? []).some((a) => shortId(a.author.id ?? "").toUpperCase() === id))
                  .length < lookup.maxWorks
            )
          return pages<Work>(
            "works",
            {
              filter: `authorships.author.id:${[...ids].join("|")},from_publication_date:${lookup.since.toISOString().slice(0, 10)}`,
              sort: "publication_date:desc",
              select: workFields
            },
            decodeWorks,
            enough
          )
        },
        { concurrency: 4 }
      ).pipe(Effect.map((all) => all.flat()))

    const lookup = Effect.fn("OpenAlex.lookup")(function* (
      queries: ReadonlyArray<AuthorQuery>,
      lookupOptions: LookupOptions
    ) {
      const found = yield* searchAuthors(queries)
      const named = (q: AuthorQuery, a: Author) =>
        [a.display_name ?? "", ...(a.display_name_alternatives ?? [])].some((n) => n !== "" && isSameAuthor(q.name, n))
      const wanted = new Map<string, Author>()
      for (const q of queries) for (const a of found) if (named(q, a)) wanted.set(shortId(a.id).toUpperCase(), a)
      const works = wanted.size === 0 ? [] : yield* worksOf([...wanted.values()], lookupOptions)
      const worksBy = new Map<string, Array<Paper>>()
      const seen = new Set<string>()
      for (const work of works) {
        const paper = toPaper(work)
        if (paper === null) continue
        for (const a of work.authorships ?? []) {
          const id = shortId(a.author.id ?? "").toUpperCase()
          if (!wanted.has(id) || seen.has(`${id}/${paper.id}`)) continue
          seen.add(`${id}/${paper.id}`)
          worksBy.set(id, [...(worksBy.get(id) ?? []), paper])
        }
      }
      const candidateOf = (a: Author) => {
        const id = shortId(a.id).toUpperCase()
        return new AuthorCandidate({
          source: "openalex",
          id,
          name: a.display_name ?? "",
          alternativeNames: (a.display_name_alternatives ?? []).filter((n) => n !== a.display_name),
          affiliations: affiliationsOf(a),
          orcid: a.orcid === null ? null : a.orcid.replace(/^https?:\/\/orcid\.org\//i, ""),
          url: `https://openalex.org/${id}`,
          topics: (a.topics ?? []).map((t) => t.display_name),
          nameOnly: false,
          works: (worksBy.get(id) ?? [])
            .sort((x, y) => y.published.getTime() - x.published.getTime())
            .slice(0, lookupOptions.maxWorks)
        })
      }
      return queries.map((q) => found.filter((a) => named(q, a)).map(candidateOf))
    })

    return {
      name: "openalex",
      maxGroup: namesPerSearch,
      concurrency: 2,
      keyOf: (query: AuthorQuery) => nameClause(query.name) ?? query.name,
      lookup
    } satisfies ScholarlySource
  })
