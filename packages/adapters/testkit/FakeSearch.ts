import type * as Http from "node:http"
import { Effect, type Scope } from "effect"
import * as LocalServer from "./LocalServer"

export interface HitFixture {
  readonly url: string
  readonly title: string
  /** The snippet (SearXNG `content`, Brave `description`). */
  readonly content: string
}

export type SearchProvider = "searxng" | "brave"

export interface SearchQuery {
  readonly q: string
  readonly provider: SearchProvider
  /** Brave's `count`; SearXNG has no such parameter. */
  readonly count: number | null
}

export type SearchReply =
  | { readonly _tag: "Results"; readonly results: ReadonlyArray<HitFixture>; readonly latencyMs?: number }
  | {
      readonly _tag: "Error"
      readonly status: number
      readonly body?: string
      readonly retryAfterSeconds?: number
      readonly latencyMs?: number
    }

export const SearchReply = {
  results: (results: ReadonlyArray<HitFixture>, latencyMs?: number): SearchReply => ({
    _tag: "Results",
    results,
    ...(latencyMs !== undefined ? { latencyMs } : {})
  }),
  empty: (): SearchReply => ({ _tag: "Results", results: [] }),
  error: (status: number, options: { readonly body?: string; readonly retryAfterSeconds?: number } = {}) =>
    ({ _tag: "Error", status, ...options }) satisfies SearchReply
} as const

export type SearchScript = (query: SearchQuery) => SearchReply

/** A rule of the default script: the first rule whose pattern matches the query answers it. */
export interface SearchRule {
  readonly match: RegExp
  readonly reply: SearchReply
}

export const scriptFromRules =
  (rules: ReadonlyArray<SearchRule>): SearchScript =>
  (query) =>
    rules.find((rule) => rule.match.test(query.q))?.reply ?? SearchReply.empty()

export interface Options {
  readonly rules?: ReadonlyArray<SearchRule>
  /** Overrides `rules`. */
  readonly script?: SearchScript
  /** The `X-Subscription-Token` Brave requires (default `"testkit-brave-key"`). */
  readonly braveApiKey?: string
  /** Latency of every answer that sets none (scaled). */
  readonly latencyMs?: number
}

export interface FakeSearch extends LocalServer.LocalServer {
  /** What `SEARXNG_URL` should be. */
  readonly searxngUrl: string
  /** Brave's web-search endpoint on this server. */
  readonly braveUrl: string
  readonly braveApiKey: string
  /** The queries received, in order. */
  readonly queries: ReadonlyArray<SearchQuery>
  readonly setScript: (script: SearchScript) => void
  readonly reset: () => void
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** Brave marks matched words with `<strong>` and escapes the rest, as the real API does. */
const braveDescription = (content: string, q: string): string => {
  const words = q
    .split(/\s+/)
    .filter((w) => w.length > 3)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ""))
    .filter((w) => w.length > 0)
  const escaped = escapeHtml(content)
  return words.length === 0
    ? escaped
    : escaped.replace(new RegExp(`\\b(${words.join("|")})\\b`, "giu"), "<strong>$1</strong>")
}

/** A search engine on 127.0.0.1 speaking SearXNG's JSON API (`/search`) and Brave's (`/res/v1/web/search`). */
export const make = (options: Options = {}, scale = 1): Effect.Effect<FakeSearch, never, Scope.Scope> => {
  const initial = options.script ?? scriptFromRules(options.rules ?? [])
  let script = initial
  const braveApiKey = options.braveApiKey ?? "testkit-brave-key"
  const queries: Array<SearchQuery> = []

  const answer = async (
    query: SearchQuery,
    response: Http.ServerResponse,
    render: (results: ReadonlyArray<HitFixture>) => unknown
  ) => {
    queries.push(query)
    const reply = script(query)
    await LocalServer.delay((reply.latencyMs ?? options.latencyMs ?? 0) * scale, response)
    if (response.destroyed) return
    if (reply._tag === "Error") {
      const headers =
        reply.retryAfterSeconds !== undefined ? { "retry-after": String(reply.retryAfterSeconds) } : undefined
      response
        .writeHead(reply.status, { "content-type": "text/plain", ...headers })
        .end(reply.body ?? `error ${reply.status}`)
      return
    }
    LocalServer.sendJson(response, 200, render(reply.results))
  }

  return LocalServer.make(async (entry, response) => {
    const q = entry.query.get("q") ?? ""
    if (entry.path === "/search") {
      // SearXNG answers 403 when the JSON format is not enabled or not asked for.
      if (entry.query.get("format") !== "json") {
        response.writeHead(403, { "content-type": "text/plain" }).end("Forbidden")
        return
      }
      return answer({ q, provider: "searxng", count: null }, response, (results) => ({
        query: q,
        number_of_results: results.length,
        results: results.map((r, i) => ({
          url: r.url,
          title: r.title,
          content: r.content,
          engine: "testkit",
          engines: ["testkit"],
          category: "general",
          score: results.length - i
        })),
        answers: [],
        corrections: [],
        infoboxes: [],
        suggestions: [],
        unresponsive_engines: []
      }))
    }
    if (entry.path === "/res/v1/web/search") {
      if (entry.headers["x-subscription-token"] !== braveApiKey) {
        return LocalServer.sendJson(response, 401, {
          type: "ErrorResponse",
          error: { id: "testkit", status: 401, code: "SUBSCRIPTION_TOKEN_INVALID", detail: "The token is invalid." }
        })
      }
      const count = Number(entry.query.get("count") ?? "20")
      return answer({ q, provider: "brave", count }, response, (results) => ({
        type: "search",
        query: { original: q },
        web: {
          type: "search",
          results: results.slice(0, count).map((r) => ({
            type: "search_result",
            title: r.title,
            url: r.url,
            description: braveDescription(r.content, q),
            language: "en",
            family_friendly: true
          }))
        }
      }))
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("Not found")
  }).pipe(
    Effect.map((server) => ({
      ...server,
      searxngUrl: server.origin,
      braveUrl: `${server.origin}/res/v1/web/search`,
      braveApiKey,
      queries,
      setScript: (next: SearchScript) => {
        script = next
      },
      reset: () => {
        script = initial
        queries.length = 0
        server.log.clear()
      }
    }))
  )
}
