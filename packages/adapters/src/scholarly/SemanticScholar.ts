import type * as RateLimiter from "@effect/experimental/RateLimiter"
import { isSameAuthor } from "@scribe/core/pipeline/Names"
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
 * Semantic Scholar's Academic Graph API as a scholarly source (https://api.semanticscholar.org/api-docs/graph). Its
 * author search takes one name per request; the candidates' recent paper ids then come from one `POST /author/batch`
 * (up to 1 000 authors) and the papers themselves from `POST /paper/batch` (up to 500). A key (`x-api-key`) is
 * optional: without one, requests share a public pool and are throttled more often.
 */

export const defaultUrl = "https://api.semanticscholar.org/graph/v1"

export interface Options {
  readonly url: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  /** Requests per second across every worker sharing the budget store (a key allows 1). */
  readonly requestsPerSecond: number
  readonly timeout?: Duration.DurationInput
  readonly budgetKey?: string
}

const nullable = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null })
const list = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(Schema.NullOr(Schema.Array(schema)), { default: () => [] })

const Author = Schema.Struct({
  authorId: Schema.String,
  name: nullable(Schema.String),
  aliases: list(Schema.String),
  affiliations: list(Schema.String),
  externalIds: nullable(Schema.Struct({ ORCID: Schema.optional(Schema.NullOr(Schema.String)) })),
  url: nullable(Schema.String)
})
type Author = typeof Author.Type

const PaperRef = Schema.Struct({
  paperId: Schema.String,
  year: nullable(Schema.Number),
  publicationDate: nullable(Schema.String)
})

const FullPaper = Schema.Struct({
  paperId: Schema.String,
  title: nullable(Schema.String),
  abstract: nullable(Schema.String),
  year: nullable(Schema.Number),
  publicationDate: nullable(Schema.String),
  url: nullable(Schema.String),
  externalIds: nullable(
    Schema.Struct({
      DOI: Schema.optional(Schema.NullOr(Schema.String)),
      ArXiv: Schema.optional(Schema.NullOr(Schema.String))
    })
  ),
  authors: list(Schema.Struct({ name: nullable(Schema.String) }))
})
type FullPaper = typeof FullPaper.Type

const decodeSearch = Schema.decodeUnknownEither(Schema.Struct({ data: list(Author) }))
const decodeAuthorPapers = Schema.decodeUnknownEither(
  Schema.Array(Schema.NullOr(Schema.Struct({ authorId: Schema.String, papers: list(PaperRef) })))
)
const decodePapers = Schema.decodeUnknownEither(Schema.Array(Schema.NullOr(FullPaper)))

const chunks = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

const publishedOf = (p: { readonly year: number | null; readonly publicationDate: string | null }): Date | null => {
  const date = new Date(p.publicationDate ?? (p.year === null ? "" : `${p.year}-01-01`))
  return Number.isNaN(date.getTime()) ? null : date
}

const toPaper = (p: FullPaper): Paper | null => {
  const published = publishedOf(p)
  const title = (p.title ?? "").replace(/\s+/g, " ").trim()
  if (published === null || title === "") return null
  const doi = p.externalIds?.DOI?.toLowerCase() ?? null
  return new Paper({
    id: p.paperId,
    title,
    authors: (p.authors ?? []).flatMap((a) => (a.name === null ? [] : [a.name])),
    summary: (p.abstract ?? "").replace(/\s+/g, " ").trim(),
    published,
    url: p.url ?? `https://www.semanticscholar.org/paper/${p.paperId}`,
    source: "semantic_scholar",
    doi,
    arxivId: p.externalIds?.ArXiv ?? null
  })
}

export const make = (options: Options): Effect.Effect<ScholarlySource, never, RateLimiter.RateLimiter> =>
  Effect.gen(function* () {
    const http = yield* ScholarlyHttp.make({
      service: "semantic_scholar",
      label: "Semantic Scholar",
      budget: ScholarlyHttp.evenlyPaced(options.budgetKey ?? "semantic_scholar", options.requestsPerSecond),
      timeout: options.timeout ?? "20 seconds"
    })
    const headers: Record<string, string> = Option.match(options.apiKey, {
      onNone: () => ({}),
      onSome: (key) => ({ "x-api-key": Redacted.value(key) })
    })
    const url = (path: string, params: Record<string, string>) => {
      const u = new URL(path, options.url.endsWith("/") ? options.url : `${options.url}/`)
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
      return u
    }
    const shape = (what: string) => ScholarlyHttp.malformed("semantic_scholar", `Semantic Scholar: unexpected ${what}`)

    const search = (query: AuthorQuery) =>
      http
        .request({
          url: url("author/search", {
            query: query.name.replace(/[^\p{L}\p{N}\s'-]+/gu, " ").trim(),
            fields: "name,aliases,affiliations,externalIds,url",
            limit: "20"
          }),
          headers
        })
        .pipe(
          Effect.flatMap((json) => {
            const decoded = decodeSearch(json)
            return decoded._tag === "Left"
              ? Effect.fail(shape("author search answer"))
              : Effect.succeed(decoded.right.data ?? [])
          })
        )

    const recentPaperIds = (authorIds: ReadonlyArray<string>, lookup: LookupOptions) =>
      Effect.forEach(chunks(authorIds, 1000), (ids) =>
        http
          .request({
            url: url("author/batch", { fields: "papers.paperId,papers.year,papers.publicationDate" }),
            method: "POST",
            json: { ids },
            headers
          })
          .pipe(
            Effect.flatMap((json) => {
              const decoded = decodeAuthorPapers(json)
              if (decoded._tag === "Left") return Effect.fail(shape("author batch answer"))
              return Effect.succeed(
                decoded.right.flatMap((a) =>
                  a === null
                    ? []
                    : [
                        [
                          a.authorId,
                          (a.papers ?? [])
                            .map((p) => ({ id: p.paperId, published: publishedOf(p) }))
                            .filter((p) => p.published !== null && p.published.getTime() >= lookup.since.getTime())
                            .sort((x, y) => y.published!.getTime() - x.published!.getTime())
                            .slice(0, lookup.maxWorks)
                            .map((p) => p.id)
                        ] as const
                      ]
                )
              )
            })
          )
      ).pipe(Effect.map((all) => new Map(all.flat())))

    const papers = (paperIds: ReadonlyArray<string>) =>
      Effect.forEach(chunks(paperIds, 500), (ids) =>
        http
          .request({
            url: url("paper/batch", { fields: "title,abstract,year,publicationDate,externalIds,authors,url" }),
            method: "POST",
            json: { ids },
            headers
          })
          .pipe(
            Effect.flatMap((json) => {
              const decoded = decodePapers(json)
              return decoded._tag === "Left"
                ? Effect.fail(shape("paper batch answer"))
                : Effect.succeed(decoded.right.flatMap((p) => (p === null ? [] : [p])))
            })
          )
      ).pipe(Effect.map((all) => new Map(all.flat().map((p) => [p.paperId, p] as const))))

    const lookup = Effect.fn("SemanticScholar.lookup")(function* (
      queries: ReadonlyArray<AuthorQuery>,
      lookupOptions: LookupOptions
    ) {
      const named = (q: AuthorQuery, a: Author) =>
        [a.name ?? "", ...(a.aliases ?? [])].some((n) => n !== "" && isSameAuthor(q.name, n))
      const found = yield* Effect.forEach(
        queries,
        (q) => Effect.map(search(q), (authors) => authors.filter((a) => named(q, a))),
        { concurrency: "unbounded" }
      )
      const authorIds = [...new Set(found.flat().map((a) => a.authorId))]
      const recent =
        authorIds.length === 0
          ? new Map<string, ReadonlyArray<string>>()
          : yield* recentPaperIds(authorIds, lookupOptions)
      const paperIds = [...new Set([...recent.values()].flat())]
      const byId = paperIds.length === 0 ? new Map<string, FullPaper>() : yield* papers(paperIds)
      return found.map((authors) =>
        authors.map(
          (a) =>
            new AuthorCandidate({
              source: "semantic_scholar",
              id: a.authorId,
              name: a.name ?? "",
              alternativeNames: a.aliases ?? [],
              affiliations: a.affiliations ?? [],
              orcid: a.externalIds?.ORCID ?? null,
              url: a.url,
              topics: [],
              nameOnly: false,
              works: (recent.get(a.authorId) ?? []).flatMap((id) => {
                const full = byId.get(id)
                const paper = full === undefined ? null : toPaper(full)
                return paper === null ? [] : [paper]
              })
            })
        )
      )
    })

    return {
      name: "semantic_scholar",
      maxGroup: 10,
      concurrency: 1,
      keyOf: (query: AuthorQuery) =>
        query.name
          .toLowerCase()
          .replace(/[^\p{L}\p{N}]+/gu, " ")
          .trim(),
      lookup
    } satisfies ScholarlySource
  })
