import { Effect, type Scope } from "effect"
import * as LocalServer from "./LocalServer"
import { normalise, words } from "./ScholarRecords"

export interface ArxivAuthor {
  readonly name: string
  readonly affiliation?: string
}

/** One paper as the simulated arXiv holds it (plain text; the server does the XML escaping). */
export interface ArxivEntry {
  /** e.g. `2301.01234v2` or `hep-th/9901001v1`. */
  readonly id: string
  readonly title: string
  readonly summary: string
  readonly authors: ReadonlyArray<string | ArxivAuthor>
  /** ISO 8601. */
  readonly published: string
  readonly updated?: string
  /** The first is the primary category. */
  readonly categories: ReadonlyArray<string>
  readonly comment?: string
  readonly doi?: string
}

export interface Options {
  readonly entries?: ReadonlyArray<ArxivEntry>
  /**
   * Minimum spacing between accepted requests (scaled); a request arriving sooner is throttled. arXiv asks for one
   * request every 3 s. 0 turns throttling off.
   */
  readonly minIntervalMs?: number
  /** How a throttled request is answered (default 503, as arXiv does). */
  readonly throttleStatus?: 429 | 503
  /** Latency of every answer (scaled). */
  readonly latencyMs?: number
}

export interface FakeArxiv extends LocalServer.LocalServer {
  /** What `ARXIV_API_URL` should be: `${origin}/api/query`. */
  readonly url: string
  /** The effective (scaled) throttling interval in ms. */
  readonly minIntervalMs: number
  /** Requests answered with a feed (not throttled). */
  readonly accepted: () => ReadonlyArray<LocalServer.LoggedRequest>
  /** Requests refused for coming too soon. */
  readonly throttled: () => ReadonlyArray<LocalServer.LoggedRequest>
  readonly setEntries: (entries: ReadonlyArray<ArxivEntry>) => void
  readonly setThrottle: (minIntervalMs: number) => void
  /** Makes every answer fail with this status (null: back to normal). */
  readonly setFailure: (status: number | null) => void
  readonly reset: () => void
}

// ---------------------------------------------------------------------------------------------------------------
// The query language: `field:value` and `field:"a phrase"` joined by AND, OR, ANDNOT, with parentheses.

type Query =
  | { readonly _tag: "Term"; readonly field: string; readonly value: string; readonly phrase: boolean }
  | { readonly _tag: "Op"; readonly op: "AND" | "OR" | "ANDNOT"; readonly left: Query; readonly right: Query }

type Token = "(" | ")" | { readonly op: "AND" | "OR" | "ANDNOT" } | { readonly term: string; readonly phrase: boolean }

class QuerySyntaxError extends Error {}

const tokenize = (input: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "(" || c === ")") {
      tokens.push(c)
      i++
    } else {
      let word = ""
      let phrase = false
      while (i < input.length && !/[\s()]/.test(input[i]!)) {
        if (input[i] === '"') {
          const end = input.indexOf('"', i + 1)
          if (end < 0) throw new QuerySyntaxError("unbalanced quote")
          word += input.slice(i + 1, end)
          phrase = true
          i = end + 1
        } else {
          word += input[i]
          i++
        }
      }
      if (!phrase && (word === "AND" || word === "OR" || word === "ANDNOT")) tokens.push({ op: word })
      else tokens.push({ term: word, phrase })
    }
  }
  return tokens
}

const parseQuery = (input: string): Query => {
  const tokens = tokenize(input)
  let position = 0
  const primary = (): Query => {
    const token = tokens[position++]
    if (token === "(") {
      const inner = expression()
      if (tokens[position++] !== ")") throw new QuerySyntaxError("expected )")
      return inner
    }
    if (token === undefined || token === ")" || "op" in token) throw new QuerySyntaxError("expected a term")
    const colon = token.term.indexOf(":")
    if (colon <= 0) return { _tag: "Term", field: "all", value: token.term, phrase: token.phrase }
    return { _tag: "Term", field: token.term.slice(0, colon), value: token.term.slice(colon + 1), phrase: token.phrase }
  }
  const expression = (): Query => {
    let left = primary()
    for (;;) {
      const token = tokens[position]
      if (token === undefined || token === ")") return left
      // Juxtaposed terms are ANDed, as arXiv does.
      const op = typeof token === "object" && "op" in token ? token.op : "AND"
      if (typeof token === "object" && "op" in token) position++
      left = { _tag: "Op", op, left, right: primary() }
    }
  }
  const query = expression()
  if (position !== tokens.length) throw new QuerySyntaxError("unexpected input")
  return query
}

const authorName = (author: string | ArxivAuthor): string => (typeof author === "string" ? author : author.name)

/** `Lovelace_A` matches a surname and first initial; a phrase needs all its words in one author's name. */
const matchesAuthor = (name: string, value: string, phrase: boolean): boolean => {
  const nameWords = words(name)
  if (!phrase && value.includes("_")) {
    const [surname = "", initials = ""] = value.split("_")
    const last = nameWords[nameWords.length - 1] ?? ""
    return last === normalise(surname) && (nameWords[0] ?? "").startsWith(normalise(initials).slice(0, 1))
  }
  const wanted = words(value)
  return wanted.length > 0 && wanted.every((w) => nameWords.includes(w))
}

const matchesText = (text: string, value: string, phrase: boolean): boolean => {
  const haystack = ` ${normalise(text)} `
  return phrase ? haystack.includes(` ${normalise(value)} `) : words(value).every((w) => haystack.includes(` ${w} `))
}

const matches = (entry: ArxivEntry, query: Query): boolean => {
  if (query._tag === "Op") {
    const left = matches(entry, query.left)
    return query.op === "AND"
      ? left && matches(entry, query.right)
      : query.op === "OR"
        ? left || matches(entry, query.right)
        : left && !matches(entry, query.right)
  }
  const authors = entry.authors.map(authorName)
  switch (query.field) {
    case "au":
      return authors.some((name) => matchesAuthor(name, query.value, query.phrase))
    case "ti":
      return matchesText(entry.title, query.value, query.phrase)
    case "abs":
      return matchesText(entry.summary, query.value, query.phrase)
    case "co":
      return matchesText(entry.comment ?? "", query.value, query.phrase)
    case "cat":
      return entry.categories.includes(query.value)
    case "id":
      return entry.id.startsWith(query.value)
    case "all":
      return matchesText(
        [entry.title, entry.summary, entry.comment ?? "", ...authors].join(" "),
        query.value,
        query.phrase
      )
    default:
      throw new QuerySyntaxError(`unknown field ${query.field}`)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The Atom feed, shaped like export.arxiv.org's.

const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** Titles also carry non-ASCII as numeric character references, and are wrapped like arXiv's (newline + 2 spaces). */
const titleXml = (title: string): string => {
  const encoded = escapeXml(title).replace(/[^\x20-\x7e]/gu, (c) => `&#${c.codePointAt(0)};`)
  const lines: Array<string> = []
  let line = ""
  for (const word of encoded.split(" ")) {
    if (line.length > 0 && line.length + word.length > 60) {
      lines.push(line)
      line = word
    } else {
      line = line.length === 0 ? word : `${line} ${word}`
    }
  }
  lines.push(line)
  return lines.join("\n  ")
}

const feedHead = (query: string, total: number, start: number, perPage: number): string =>
  `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/testkit</id>
  <title>arXiv Query: ${escapeXml(query)}</title>
  <updated>${new Date().toISOString().slice(0, 19)}Z</updated>
  <link href="https://arxiv.org/api/query?${escapeXml(query)}" rel="self" type="application/atom+xml"/>
  <opensearch:itemsPerPage>${perPage}</opensearch:itemsPerPage>
  <opensearch:totalResults>${total}</opensearch:totalResults>
  <opensearch:startIndex>${start}</opensearch:startIndex>
`

const entryXml = (entry: ArxivEntry): string => {
  const primary = entry.categories[0] ?? "cs.LG"
  const authors = entry.authors
    .map((author) => {
      const a = typeof author === "string" ? { name: author } : author
      const affiliation =
        a.affiliation !== undefined ? `\n      <arxiv:affiliation>${escapeXml(a.affiliation)}</arxiv:affiliation>` : ""
      return `    <author>\n      <name>${escapeXml(a.name)}</name>${affiliation}\n    </author>`
    })
    .join("\n")
  return `  <entry>
    <id>http://arxiv.org/abs/${entry.id}</id>
    <title>${titleXml(entry.title)}</title>
    <updated>${entry.updated ?? entry.published}</updated>
    <link href="http://arxiv.org/abs/${entry.id}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/${entry.id}" rel="related" type="application/pdf"/>
    <summary>  ${escapeXml(entry.summary)}
</summary>
${entry.categories.map((c) => `    <category term="${c}" scheme="http://arxiv.org/schemas/atom"/>`).join("\n")}
    <published>${entry.published}</published>
    <arxiv:primary_category term="${primary}" scheme="http://arxiv.org/schemas/atom"/>
${entry.comment !== undefined ? `    <arxiv:comment>${escapeXml(entry.comment)}</arxiv:comment>\n` : ""}${entry.doi !== undefined ? `    <arxiv:doi>${escapeXml(entry.doi)}</arxiv:doi>\n` : ""}${authors}
  </entry>
`
}

const errorFeed = (message: string): string =>
  `${feedHead("error", 1, 0, 1)}  <entry>
    <id>http://arxiv.org/api/errors#incorrectly_formatted_query</id>
    <title>Error</title>
    <summary>${escapeXml(message)}</summary>
    <updated>${new Date().toISOString().slice(0, 19)}Z</updated>
    <link href="http://arxiv.org/api/errors#incorrectly_formatted_query" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
`

/** An arXiv Atom API (`/api/query`) on 127.0.0.1, with arXiv's throttling. */
export const make = (options: Options = {}, scale = 1): Effect.Effect<FakeArxiv, never, Scope.Scope> => {
  let entries: ReadonlyArray<ArxivEntry> = options.entries ?? []
  let minIntervalMs = (options.minIntervalMs ?? 3000) * scale
  let failure: number | null = null
  let lastAccepted: number | null = null
  const acceptedRequests: Array<LocalServer.LoggedRequest> = []
  const throttledRequests: Array<LocalServer.LoggedRequest> = []

  return LocalServer.make(async (entry, response) => {
    if (entry.path !== "/api/query") {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found")
      return
    }
    if (lastAccepted !== null && entry.at - lastAccepted < minIntervalMs) {
      throttledRequests.push(entry)
      const waitMs = lastAccepted + minIntervalMs - entry.at
      response
        .writeHead(options.throttleStatus ?? 503, {
          "content-type": "text/plain",
          "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000)))
        })
        .end("Rate exceeded.")
      return
    }
    lastAccepted = entry.at
    acceptedRequests.push(entry)
    await LocalServer.delay((options.latencyMs ?? 0) * scale, response)
    if (response.destroyed) return
    if (failure !== null) {
      response.writeHead(failure, { "content-type": "text/plain" }).end(`error ${failure}`)
      return
    }
    const atom = { "content-type": "application/atom+xml; charset=utf-8" }
    const searchQuery = entry.query.get("search_query") ?? ""
    const idList = (entry.query.get("id_list") ?? "").split(",").filter(Boolean)
    const start = Number(entry.query.get("start") ?? "0")
    const max = Number(entry.query.get("max_results") ?? "10")
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(max) || max < 0) {
      response.writeHead(400, atom).end(errorFeed("start and max_results must be non-negative integers"))
      return
    }
    let found: Array<ArxivEntry>
    try {
      const query = searchQuery.length > 0 ? parseQuery(searchQuery) : null
      found = entries.filter(
        (e) =>
          (idList.length === 0 || idList.some((id) => e.id.startsWith(id))) &&
          (query === null ? idList.length > 0 : matches(e, query))
      )
    } catch (error) {
      response.writeHead(400, atom).end(errorFeed(`incorrectly formatted query: ${String(error)}`))
      return
    }
    const sortBy = entry.query.get("sortBy") ?? "relevance"
    const descending = (entry.query.get("sortOrder") ?? "descending") === "descending"
    if (sortBy === "submittedDate" || sortBy === "lastUpdatedDate") {
      const key = (e: ArxivEntry) => Date.parse(sortBy === "submittedDate" ? e.published : (e.updated ?? e.published))
      found.sort((a, b) => (descending ? key(b) - key(a) : key(a) - key(b)))
    }
    const page = found.slice(start, start + max)
    const query = new URLSearchParams(entry.query).toString()
    response
      .writeHead(200, atom)
      .end(`${feedHead(query, found.length, start, max)}${page.map(entryXml).join("")}</feed>\n`)
  }).pipe(
    Effect.map((server) => ({
      ...server,
      url: `${server.origin}/api/query`,
      get minIntervalMs() {
        return minIntervalMs
      },
      accepted: () => acceptedRequests,
      throttled: () => throttledRequests,
      setEntries: (next: ReadonlyArray<ArxivEntry>) => {
        entries = next
      },
      setThrottle: (ms: number) => {
        minIntervalMs = ms * scale
      },
      setFailure: (status: number | null) => {
        failure = status
      },
      reset: () => {
        entries = options.entries ?? []
        minIntervalMs = (options.minIntervalMs ?? 3000) * scale
        failure = null
        lastAccepted = null
        acceptedRequests.length = 0
        throttledRequests.length = 0
        server.log.clear()
      }
    }))
  )
}

/** The query evaluator, for the world's own tests. */
export const internal = { parseQuery, matches }
