/**
 * The OpenAlex API on 127.0.0.1: `/authors` (boolean `search`, `filter`, `select`, `per_page`/`page` paging) and
 * `/works` (`filter=authorships.author.id:A1|A2,from_publication_date:…`, `sort`, paging), answering with OpenAlex's
 * JSON shapes (full ids as URLs, `meta`, `abstract_inverted_index`), an API key required, a per-second rate limit
 * answered with 429 and `Retry-After`, and OpenAlex's 400s for unknown filters or fields.
 */
import type { Effect, Scope } from "effect"
import type { Institution } from "./People"
import type { Answer } from "./ScholarlyServer"
import * as ScholarlyServer from "./ScholarlyServer"
import {
  type AuthorRecord,
  normalise,
  records,
  type ScholarlyFake,
  stableNumber,
  type WorkRecord,
  words
} from "./ScholarRecords"

/**
 * `apiKey` (default `testkit-openalex-key`) is required on every request as `api_key`; `requestsPerSecond` defaults to
 * 100, OpenAlex's limit with a key.
 */
export type Options = ScholarlyServer.Options

/** `url` is what `OPENALEX_API_URL` should be. */
export type FakeOpenAlex = ScholarlyFake

const base = "https://openalex.org/"

const institutionJson = (i: Institution) => ({
  id: `${base}${i.id}`,
  ror: `https://ror.org/${i.ror}`,
  display_name: i.name,
  country_code: i.country,
  type: "education",
  lineage: [`${base}${i.id}`]
})

const workId = (w: WorkRecord) => `W${stableNumber(w.key, 10)}`

const invertedIndex = (text: string): Record<string, Array<number>> => {
  const index: Record<string, Array<number>> = {}
  text.split(/\s+/).forEach((word, i) => {
    if (word === "") return
    if (!Object.hasOwn(index, word)) index[word] = []
    index[word]!.push(i)
  })
  return index
}

const authorJson = (r: AuthorRecord) => {
  const p = r.profile
  const years = (w: WorkRecord) => Number(w.published.slice(0, 4))
  const counts = new Map<number, number>()
  for (const w of r.works) counts.set(years(w), (counts.get(years(w)) ?? 0) + 1)
  const id = `${base}${p.openalexId}`
  return {
    id,
    orcid: p.orcid === undefined ? null : `https://orcid.org/${p.orcid}`,
    display_name: r.person.name,
    display_name_alternatives: [
      r.person.name,
      `${r.person.name.split(" ")[0]![0]}. ${r.person.name.split(" ").at(-1)}`
    ],
    works_count: r.works.length,
    cited_by_count: r.works.length * 3,
    summary_stats: { "2yr_mean_citedness": 1.5, h_index: Math.min(3, r.works.length), i10_index: 0 },
    ids: { openalex: id, ...(p.orcid === undefined ? {} : { orcid: `https://orcid.org/${p.orcid}` }) },
    affiliations: [p.institution, ...(p.pastInstitutions ?? [])].map((i, n) => ({
      institution: institutionJson(i),
      years: n === 0 ? [2025, 2024, 2023] : [2019, 2018]
    })),
    last_known_institutions: [institutionJson(p.institution)],
    topics: p.topics.map((t, n) => ({
      id: `${base}T${stableNumber(t, 5)}`,
      display_name: t,
      count: Math.max(1, r.works.length - n),
      subfield: { id: `${base}subfields/1702`, display_name: t },
      field: { id: `${base}fields/17`, display_name: "Computer Science" },
      domain: { id: `${base}domains/3`, display_name: "Physical Sciences" }
    })),
    counts_by_year: [...counts.entries()]
      .sort((a, b) => b[0] - a[0])
      .map(([year, works_count]) => ({ year, works_count, cited_by_count: works_count * 3 })),
    works_api_url: `https://api.openalex.org/works?filter=author.id:${p.openalexId}`,
    updated_date: "2026-11-01T00:00:00.000000",
    created_date: "2023-07-21"
  }
}

const workJson = (w: WorkRecord, authorsByKey: ReadonlyMap<string, AuthorRecord>) => {
  const landing = w.arxivId !== null ? `https://arxiv.org/abs/${w.arxivId}` : `https://doi.org/${w.doi}`
  const location = {
    is_oa: true,
    landing_page_url: landing,
    pdf_url: w.arxivId !== null ? `https://arxiv.org/pdf/${w.arxivId}` : null,
    source: {
      id: `${base}S${stableNumber(w.venue, 9)}`,
      display_name: w.venue,
      type: w.arxivId ? "repository" : "journal"
    }
  }
  return {
    id: `${base}${workId(w)}`,
    doi: w.doi === null ? null : `https://doi.org/${w.doi}`,
    title: w.title,
    display_name: w.title,
    publication_year: Number(w.published.slice(0, 4)),
    publication_date: w.published,
    ids: { openalex: `${base}${workId(w)}`, ...(w.doi === null ? {} : { doi: `https://doi.org/${w.doi}` }) },
    type: w.arxivId !== null ? "preprint" : "article",
    primary_location: location,
    locations: [location],
    authorships: w.authors.map((a, n) => {
      const known = a.person === null ? undefined : authorsByKey.get(a.person)
      return {
        author_position: n === 0 ? "first" : n === w.authors.length - 1 ? "last" : "middle",
        author: {
          id: known === undefined ? `${base}A9${stableNumber(a.name, 9)}` : `${base}${known.profile.openalexId}`,
          display_name: a.name,
          orcid: known?.profile.orcid === undefined ? null : `https://orcid.org/${known.profile.orcid}`
        },
        institutions: a.institution === null ? [] : [institutionJson(a.institution)],
        countries: a.institution === null ? [] : [a.institution.country],
        is_corresponding: n === 0,
        raw_author_name: a.name,
        raw_affiliation_strings: a.institution === null ? [] : [a.institution.name]
      }
    }),
    abstract_inverted_index: invertedIndex(w.summary),
    cited_by_count: 3,
    updated_date: "2026-11-01T00:00:00.000000",
    created_date: "2024-01-01"
  }
}

/** `(ada AND lovelace) OR (grace hopper) OR "wei ma"`: a list of alternatives, each a set of words to find. */
const parseSearch = (search: string): ReadonlyArray<ReadonlyArray<string>> =>
  search
    .split(/\s+OR\s+/)
    .map((clause) => words(clause.replace(/[()"]/g, " ").replace(/\bAND\b/g, " ")))
    .filter((clause) => clause.length > 0)

const matchesSearch = (r: AuthorRecord, alternatives: ReadonlyArray<ReadonlyArray<string>>) => {
  const names = authorJson(r).display_name_alternatives.map((n) => new Set(words(n)))
  return alternatives.some((clause) => names.some((name) => clause.every((w) => name.has(w))))
}

const bad = (message: string): Answer => ({ status: 400, body: { error: "Invalid query parameters error.", message } })

const select = (item: Record<string, unknown>, fields: ReadonlyArray<string> | null) =>
  fields === null ? item : Object.fromEntries(fields.map((f) => [f, item[f]]))

const page = (
  query: URLSearchParams,
  all: ReadonlyArray<Record<string, unknown>>,
  knownFields: ReadonlyArray<string>
): Answer => {
  const perPage = Number(query.get("per_page") ?? query.get("per-page") ?? "25")
  const pageNumber = Number(query.get("page") ?? "1")
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return bad("per_page must be between 1 and 100")
  if (!Number.isInteger(pageNumber) || pageNumber < 1) return bad("page must be a positive integer")
  const fields = query.get("select")?.split(",").filter(Boolean) ?? null
  const unknown = fields?.find((f) => !knownFields.includes(f))
  if (unknown !== undefined) return bad(`${unknown} is not a valid select field.`)
  const results = all.slice((pageNumber - 1) * perPage, pageNumber * perPage).map((item) => select(item, fields))
  return {
    status: 200,
    body: {
      meta: { count: all.length, db_response_time_ms: 12, page: pageNumber, per_page: perPage, groups_count: null },
      results,
      group_by: []
    }
  }
}

const filters = (query: URLSearchParams): ReadonlyArray<readonly [string, ReadonlyArray<string>]> =>
  (query.get("filter") ?? "")
    .split(",")
    .filter(Boolean)
    .map((f) => {
      const colon = f.indexOf(":")
      return [f.slice(0, colon), f.slice(colon + 1).split("|")] as const
    })

const shortId = (id: string) => id.replace(base, "").toUpperCase()

export const make = (options: Options = {}, scale = 1): Effect.Effect<FakeOpenAlex, never, Scope.Scope> => {
  const apiKey = options.apiKey ?? "testkit-openalex-key"
  const authors = records(options.people ?? [], (p) => p.openalexId !== undefined)
  const byKey = new Map(authors.map((a) => [a.person.key, a]))
  const works = new Map<string, WorkRecord>()
  for (const a of authors) for (const w of a.works) works.set(w.key, w)
  const authorsAnswer = (query: URLSearchParams): Answer => {
    const search = query.get("search")
    let found = [...authors]
    if (search !== null) found = found.filter((r) => matchesSearch(r, parseSearch(search)))
    for (const [key, values] of filters(query)) {
      if (values.length > 100) return bad("You can OR together at most 100 values.")
      if (key === "orcid" || key === "ids.orcid") {
        found = found.filter((r) => values.some((v) => v.replace("https://orcid.org/", "") === r.profile.orcid))
      } else if (key === "id" || key === "openalex" || key === "ids.openalex") {
        found = found.filter((r) => values.some((v) => shortId(v) === r.profile.openalexId))
      } else return bad(`${key} is not a valid field.`)
    }
    const json = found.sort((a, b) => b.works.length - a.works.length).map(authorJson)
    return page(query, json, Object.keys(authorJson(authors[0] ?? placeholderRecord)))
  }

  const worksAnswer = (query: URLSearchParams): Answer => {
    let found = [...works.values()]
    for (const [key, values] of filters(query)) {
      if (values.length > 100) return bad("You can OR together at most 100 values.")
      if (key === "authorships.author.id" || key === "author.id") {
        const ids = new Set(values.map(shortId))
        found = found.filter((w) =>
          w.authors.some((a) => a.person !== null && ids.has(byKey.get(a.person)?.profile.openalexId ?? ""))
        )
      } else if (key === "from_publication_date") found = found.filter((w) => w.published >= values[0]!)
      else if (key === "to_publication_date") found = found.filter((w) => w.published <= values[0]!)
      else if (key === "doi")
        found = found.filter((w) => values.some((v) => v.replace("https://doi.org/", "") === w.doi))
      else return bad(`${key} is not a valid field.`)
    }
    const sort = query.get("sort")
    if (sort !== null && !/^(publication_date|cited_by_count)(:(asc|desc))?$/.test(sort)) {
      return bad(`${sort} is not a valid sort field.`)
    }
    const ascending = sort?.endsWith(":asc") ?? false
    found.sort((a, b) => (ascending ? a.published.localeCompare(b.published) : b.published.localeCompare(a.published)))
    const json = found.map((w) => workJson(w, byKey))
    return page(query, json, Object.keys(workJson(placeholderWork, byKey)))
  }

  return ScholarlyServer.make({
    apiKey,
    requestsPerSecond: options.requestsPerSecond ?? 100,
    latencyMs: options.latencyMs ?? 0,
    scale,
    url: (origin) => origin,
    refuse: (entry) =>
      entry.query.get("api_key") === apiKey
        ? null
        : { status: 401, body: { error: "Unauthorized", message: "Invalid or missing API key." } },
    throttled: (waitMs) => ({
      status: 429,
      body: { error: "Rate limit exceeded", message: "Too many requests per second." },
      headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) }
    }),
    failed: (status) => ({ status, body: { error: "Server error", message: `error ${status}` } }),
    route: (entry) => ({
      ...(entry.path === "/authors"
        ? authorsAnswer(entry.query)
        : entry.path === "/works"
          ? worksAnswer(entry.query)
          : { status: 404, body: { error: "Not found", message: `${entry.path} is not an endpoint` } }),
      headers: {
        "x-ratelimit-limit": String(options.requestsPerSecond ?? 100),
        "x-ratelimit-credits-used": entry.query.has("search") ? "10" : "1"
      }
    })
  })
}

/** Shapes of an empty world's records, for the list of fields `select` accepts. */
const placeholderWork: WorkRecord = {
  key: "none",
  title: "",
  doi: null,
  arxivId: null,
  published: "2000-01-01",
  venue: "",
  summary: "",
  authors: []
}
const placeholderRecord: AuthorRecord = {
  person: { key: "", name: "A B", asTyped: "", interest: "", papers: [], pages: [], searchMatch: /(?!)/, facts: [] },
  profile: { openalexId: "A0", institution: { id: "I0", ror: "", name: "", country: "" }, topics: [], works: [] },
  works: []
}

export const internal = { parseSearch, normalise }
