/**
 * The Semantic Scholar Academic Graph API on 127.0.0.1 (`/graph/v1`): `GET /author/search` (offset paging, `next`),
 * `POST /author/batch` (≤ 1 000 ids, `null` for unknown ones) and `POST /paper/batch` (≤ 500 ids: paper ids,
 * `ARXIV:…` or `DOI:…`), with `fields` selecting what comes back (`papers.year` and the like on authors), an optional
 * `x-api-key` (a wrong one is 403), and its 429 when requests come faster than allowed.
 */
import type { Effect, Scope } from "effect"
import type { Answer } from "./ScholarlyServer"
import * as ScholarlyServer from "./ScholarlyServer"
import {
  type AuthorRecord,
  records,
  type ScholarlyFake,
  sha1,
  stableNumber,
  type WorkRecord,
  words
} from "./ScholarRecords"

/**
 * `apiKey` (default `testkit-s2-key`) is what `x-api-key` must carry when sent (requests without one are served too);
 * `requestsPerSecond` defaults to 1, the rate of a key.
 */
export type Options = ScholarlyServer.Options

/** `url` is what `SEMANTIC_SCHOLAR_API_URL` should be: `${origin}/graph/v1`. */
export type FakeSemanticScholar = ScholarlyFake

const paperId = (w: WorkRecord) => sha1(w.key)

const paperJson = (w: WorkRecord, byKey: ReadonlyMap<string, AuthorRecord>): Record<string, unknown> => ({
  paperId: paperId(w),
  externalIds: {
    ...(w.doi === null ? {} : { DOI: w.doi }),
    ...(w.arxivId === null ? {} : { ArXiv: w.arxivId }),
    CorpusId: Number(stableNumber(w.key, 8))
  },
  url: `https://www.semanticscholar.org/paper/${paperId(w)}`,
  title: w.title,
  abstract: w.summary,
  venue: w.venue,
  year: Number(w.published.slice(0, 4)),
  publicationDate: w.published,
  authors: w.authors.map((a) => ({
    authorId: a.person === null ? stableNumber(a.name, 8) : (byKey.get(a.person)?.profile.semanticScholarId ?? null),
    name: a.name
  }))
})

const authorJson = (r: AuthorRecord, byKey: ReadonlyMap<string, AuthorRecord>): Record<string, unknown> => ({
  authorId: r.profile.semanticScholarId,
  externalIds: { ...(r.profile.orcid === undefined ? {} : { ORCID: r.profile.orcid }), DBLP: [r.person.name] },
  url: `https://www.semanticscholar.org/author/${r.profile.semanticScholarId}`,
  name: r.person.name,
  aliases: [`${r.person.name.split(" ")[0]![0]}. ${r.person.name.split(" ").at(-1)}`],
  affiliations: [r.profile.institution.name],
  homepage: null,
  paperCount: r.works.length,
  citationCount: r.works.length * 3,
  hIndex: Math.min(3, r.works.length),
  papers: r.works.map((w) => paperJson(w, byKey))
})

const authorFields = [
  "name",
  "aliases",
  "affiliations",
  "externalIds",
  "url",
  "homepage",
  "paperCount",
  "citationCount",
  "hIndex",
  "papers"
]
const paperFields = ["title", "abstract", "venue", "year", "publicationDate", "externalIds", "url", "authors"]

/** Keeps the fields asked for (`papers.title` keeps `papers` with their `paperId` and `title`); ids always. */
const pick = (item: Record<string, unknown>, fields: ReadonlyArray<string>, id: string): Record<string, unknown> => {
  const out: Record<string, unknown> = { [id]: item[id] }
  const nested = new Map<string, Array<string>>()
  for (const field of fields) {
    const dot = field.indexOf(".")
    if (dot < 0) out[field] = item[field]
    else nested.set(field.slice(0, dot), [...(nested.get(field.slice(0, dot)) ?? []), field.slice(dot + 1)])
  }
  for (const [field, sub] of nested) {
    const value = item[field]
    out[field] = Array.isArray(value) ? value.map((v: Record<string, unknown>) => pick(v, sub, "paperId")) : value
  }
  return out
}

const parseFields = (query: URLSearchParams, known: ReadonlyArray<string>): ReadonlyArray<string> | string => {
  const fields = (query.get("fields") ?? "name").split(",").filter(Boolean)
  const unknown = fields.find((f) => !known.includes(f.split(".")[0]!))
  return unknown === undefined ? fields : `Unrecognized or unsupported fields: [${unknown}]`
}

const idsOf = (body: string, max: number): ReadonlyArray<string> | string => {
  try {
    const parsed = JSON.parse(body) as { ids?: unknown }
    if (!Array.isArray(parsed.ids) || parsed.ids.some((id) => typeof id !== "string")) return "ids must be strings"
    return parsed.ids.length > max ? `Cannot process more than ${max} ids` : (parsed.ids as Array<string>)
  } catch {
    return 'Body must be JSON: {"ids": [...]}'
  }
}

export const make = (options: Options = {}, scale = 1): Effect.Effect<FakeSemanticScholar, never, Scope.Scope> => {
  const apiKey = options.apiKey ?? "testkit-s2-key"
  const authors = records(options.people ?? [], (p) => p.semanticScholarId !== undefined)
  const byKey = new Map(authors.map((a) => [a.person.key, a]))
  const byId = new Map(authors.map((a) => [a.profile.semanticScholarId!, a]))
  const papers = new Map<string, WorkRecord>()
  for (const a of authors) {
    for (const w of a.works) {
      papers.set(paperId(w), w)
      if (w.arxivId !== null) papers.set(`ARXIV:${w.arxivId}`, w)
      if (w.doi !== null) papers.set(`DOI:${w.doi}`, w)
    }
  }
  const search = (query: URLSearchParams): Answer => {
    const fields = parseFields(query, authorFields)
    if (typeof fields === "string") return { status: 400, body: { error: fields } }
    const wanted = words(query.get("query") ?? "").filter((w) => w.length > 1)
    if (wanted.length === 0) return { status: 400, body: { error: "Missing required parameter: query" } }
    const offset = Number(query.get("offset") ?? "0")
    const limit = Number(query.get("limit") ?? "100")
    if (!(limit >= 1 && limit <= 1000) || !(offset >= 0))
      return { status: 400, body: { error: "Invalid limit or offset" } }
    const found = authors.filter((r) => {
      const name = new Set(words(r.person.name))
      return wanted.every((w) => name.has(w))
    })
    const data = found.slice(offset, offset + limit).map((r) => pick(authorJson(r, byKey), fields, "authorId"))
    return {
      status: 200,
      body: { total: found.length, offset, ...(offset + limit < found.length ? { next: offset + limit } : {}), data }
    }
  }

  const batch = (
    query: URLSearchParams,
    body: string,
    max: number,
    known: ReadonlyArray<string>,
    lookup: (id: string) => Record<string, unknown> | null,
    id: string
  ): Answer => {
    const fields = parseFields(query, known)
    if (typeof fields === "string") return { status: 400, body: { error: fields } }
    const ids = idsOf(body, max)
    if (typeof ids === "string") return { status: 400, body: { error: ids } }
    return {
      status: 200,
      body: ids.map((i) => {
        const item = lookup(i)
        return item === null ? null : pick(item, fields, id)
      })
    }
  }

  return ScholarlyServer.make({
    apiKey,
    requestsPerSecond: options.requestsPerSecond ?? 1,
    latencyMs: options.latencyMs ?? 0,
    scale,
    url: (origin) => `${origin}/graph/v1`,
    refuse: (entry) => {
      const key = entry.headers["x-api-key"]
      return key !== undefined && key !== apiKey ? { status: 403, body: { message: "Forbidden" } } : null
    },
    throttled: () => ({
      status: 429,
      body: {
        message:
          "Too Many Requests. Please wait and try again or apply for a key for higher rate limits. https://www.semanticscholar.org/product/api#api-key-form",
        code: "429"
      }
    }),
    failed: (status) => ({ status, body: { message: "Internal Server Error" } }),
    route: (entry): Answer => {
      const route = `${entry.method} ${entry.path}`
      return route === "GET /graph/v1/author/search"
        ? search(entry.query)
        : route === "POST /graph/v1/author/batch"
          ? batch(
              entry.query,
              entry.body,
              1000,
              authorFields,
              (id) => {
                const r = byId.get(id)
                return r === undefined ? null : authorJson(r, byKey)
              },
              "authorId"
            )
          : route === "POST /graph/v1/paper/batch"
            ? batch(
                entry.query,
                entry.body,
                500,
                paperFields,
                (id) => {
                  const w = papers.get(id)
                  return w === undefined ? null : paperJson(w, byKey)
                },
                "paperId"
              )
            : { status: 404, body: { error: `${entry.method} ${entry.path} not found` } }
    }
  })
}
