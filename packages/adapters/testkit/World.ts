import { ConfigProvider, Context, Effect, Layer, type Scope } from "effect"
import * as FakeArxiv from "./FakeArxiv"
import * as FakeLlm from "./FakeLlm"
import * as FakeOpenAlex from "./FakeOpenAlex"
import * as FakeSearch from "./FakeSearch"
import * as FakeSemanticScholar from "./FakeSemanticScholar"
import * as FakeWeb from "./FakeWeb"
import * as People from "./People"

/** Paths of the world's special pages (besides the people's pages). */
export const Paths = {
  /** Visible text plus every kind of hidden text. */
  hidden: "/testkit/hidden",
  /** 3 MB of HTML with a Content-Length. */
  huge: "/testkit/huge",
  /** 3 MB of HTML sent chunked, without a Content-Length. */
  hugeChunked: "/testkit/huge-chunked",
  pdf: "/testkit/doc.pdf",
  json: "/testkit/data.json",
  binary: "/testkit/blob.bin",
  plain: "/testkit/notes.txt",
  xhtml: "/testkit/page.xhtml",
  latin1: "/testkit/latin1",
  /** Answers after 10 s (scaled). */
  slow: "/testkit/slow",
  /** Headers at once, then the body over 10 s (scaled). */
  slowBody: "/testkit/slow-body",
  /** A page that must never be fetched when private addresses are refused. */
  secret: "/testkit/secret",
  /** Redirects to the secret page on 127.0.0.1 (absolute URL). */
  redirectLoopback: "/testkit/redirect/loopback",
  redirectMetadata: "/testkit/redirect/metadata",
  redirectRelative: "/testkit/redirect/relative",
  redirectFtp: "/testkit/redirect/ftp",
  /** `chain(n)` redirects n times before landing on a page. */
  chain: (n: number) => `/testkit/redirect/chain/${n}`,
  serverError: "/testkit/server-error",
  rateLimited: "/testkit/rate-limited",
  gone: "/testkit/gone"
} as const

/** The text only a page's hidden parts carry; extraction must drop every one of them. */
export const hiddenMarkers: ReadonlyArray<string> = [
  "HIDDEN-ATTR",
  "HIDDEN-DISPLAY-NONE",
  "HIDDEN-VISIBILITY",
  "HIDDEN-ARIA",
  "HIDDEN-SCRIPT",
  "HIDDEN-STYLE",
  "HIDDEN-NOSCRIPT",
  "HIDDEN-TEMPLATE",
  "HIDDEN-SVG",
  "HIDDEN-IFRAME",
  "HIDDEN-CLASS",
  "HIDDEN-COMMENT",
  "HIDDEN-INPUT"
]

const hiddenPage = `<!doctype html>
<html><head><title>  Hidden   text
  test </title>
<style>.sneaky { display : none !important } p.also-sneaky{visibility:hidden} /* HIDDEN-STYLE */</style>
<script>var x = "HIDDEN-SCRIPT";</script>
</head>
<body>
<h1>Visible heading</h1>
<p>Visible    paragraph
   one.</p>
<div hidden><p>HIDDEN-ATTR</p></div>
<div style="color: red; DISPLAY:NONE">HIDDEN-DISPLAY-NONE</div>
<span style="visibility: hidden">HIDDEN-VISIBILITY</span>
<span aria-hidden="true">HIDDEN-ARIA</span>
<noscript>HIDDEN-NOSCRIPT</noscript>
<template><p>HIDDEN-TEMPLATE</p></template>
<svg><text>HIDDEN-SVG</text></svg>
<iframe srcdoc="HIDDEN-IFRAME">HIDDEN-IFRAME</iframe>
<div class="intro sneaky">HIDDEN-CLASS</div>
<p class="also-sneaky">HIDDEN-CLASS</p>
<!-- HIDDEN-COMMENT -->
<input type="hidden" value="HIDDEN-INPUT">
<ul><li>Visible item A</li><li>Visible item B</li></ul>
<p>Caf&eacute; &amp; d&eacute;j&agrave; vu</p>
</body></html>`

export interface Options {
  /** Multiplies every latency and throttling interval, divides every rate budget (benchmarks use e.g. 0.1). */
  readonly scale?: number
  readonly people?: ReadonlyArray<People.Person>
  readonly llm?: FakeLlm.Options
  /** `rules` default to each person's pages for queries matching them. */
  readonly search?: FakeSearch.Options
  /** `entries` default to every person's papers plus some by others; `minIntervalMs` defaults to 3000. */
  readonly arxiv?: FakeArxiv.Options
  /** `people` default to the world's people (those with an OpenAlex id). */
  readonly openalex?: FakeOpenAlex.Options
  /** `people` default to the world's people (those with a Semantic Scholar id). */
  readonly semanticScholar?: FakeSemanticScholar.Options
  /** Latency of every person's page (scaled). */
  readonly pageLatencyMs?: number
  /** Extra pages, by path. */
  readonly pages?: (origin: string) => Readonly<Record<string, FakeWeb.PageRoute>>
}

export interface WorldService {
  readonly scale: number
  readonly llm: FakeLlm.FakeLlm
  readonly search: FakeSearch.FakeSearch
  readonly web: FakeWeb.FakeWeb
  readonly arxiv: FakeArxiv.FakeArxiv
  readonly openalex: FakeOpenAlex.FakeOpenAlex
  readonly semanticScholar: FakeSemanticScholar.FakeSemanticScholar
  readonly people: ReadonlyArray<People.Person>
  /** The absolute URL of a path on the web server. */
  readonly url: (path: string) => string
  /** The URLs of a person's pages. */
  readonly pageUrls: (person: People.Person) => ReadonlyArray<string>
  /** The environment that points Scribe's adapters at this world (see `configProvider`). */
  readonly env: Readonly<Record<string, string>>
  /** `env` as a ConfigProvider, with `overrides` on top. */
  readonly configProvider: (overrides?: Readonly<Record<string, string>>) => ConfigProvider.ConfigProvider
  /** Clears every log and restores the initial scripts, pages, papers and throttling. */
  readonly reset: () => void
}

export class World extends Context.Tag("@scribe/adapters/testkit/World")<World, WorldService>() {}

const textPage = (body: string, contentType: string): FakeWeb.PageSpec => ({ body, contentType })

const specialPages = (origin: string): Record<string, FakeWeb.PageRoute> => {
  const chain: Record<string, FakeWeb.PageRoute> = {}
  for (let n = 1; n <= 10; n++) chain[Paths.chain(n)] = { redirect: Paths.chain(n - 1) }
  chain[Paths.chain(0)] = textPage(
    "<html><head><title>End of chain</title></head><body>Landed</body></html>",
    "text/html"
  )
  return {
    ...chain,
    [Paths.hidden]: { body: hiddenPage },
    [Paths.huge]: { hugeBytes: 3 * 1024 * 1024 },
    [Paths.hugeChunked]: { hugeBytes: 3 * 1024 * 1024, chunked: true },
    [Paths.pdf]: textPage("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "application/pdf"),
    [Paths.json]: textPage(JSON.stringify({ name: "Ada Lovelace" }), "application/json"),
    [Paths.binary]: { body: new Uint8Array([0, 1, 2, 3, 255, 254]), contentType: "application/octet-stream" },
    [Paths.plain]: textPage("Plain   text notes\n\n\n on engines.", "text/plain; charset=utf-8"),
    [Paths.xhtml]: textPage(
      '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>XHTML page</title></head><body><p>Strict markup.</p></body></html>',
      "application/xhtml+xml"
    ),
    [Paths.latin1]: {
      body: Buffer.from("<html><head><title>Latin-1</title></head><body>Caf\u00e9 cr\u00e8me</body></html>", "latin1"),
      contentType: "text/html; charset=iso-8859-1"
    },
    [Paths.slow]: { latencyMs: 10_000, body: "<html><head><title>Slow</title></head><body>Finally</body></html>" },
    [Paths.slowBody]: {
      trickle: { chunks: 10, intervalMs: 1000 },
      body: "<html><head><title>Slow body</title></head><body>" + "x".repeat(1000) + "</body></html>"
    },
    [Paths.secret]: textPage(
      "<html><head><title>Secret</title></head><body>INTERNAL-SECRET-CONTENT</body></html>",
      "text/html"
    ),
    [Paths.redirectLoopback]: { redirect: new URL(Paths.secret, origin).href },
    [Paths.redirectMetadata]: { redirect: "http://169.254.169.254/latest/meta-data/" },
    [Paths.redirectRelative]: { redirect: People.ada.pages[0]!.path, status: 301 },
    [Paths.redirectFtp]: { redirect: "ftp://files.testkit.example/paper.pdf" },
    [Paths.serverError]: { status: 500, body: "<html><body>Internal error</body></html>" },
    [Paths.rateLimited]: { status: 429, body: "slow down", headers: { "retry-after": "7" } },
    [Paths.gone]: { status: 410, body: "<html><body>Gone</body></html>" }
  }
}

/**
 * Starts the simulated world: an LLM, a search engine, a web of pages, arXiv, OpenAlex and Semantic Scholar, each on
 * its own 127.0.0.1 port.
 */
export const make = (options: Options = {}): Effect.Effect<WorldService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scale = options.scale ?? 1
    const people = options.people ?? People.all
    const web = yield* FakeWeb.make((origin) => {
      const pages: Record<string, FakeWeb.PageRoute> = specialPages(origin)
      for (const person of people) {
        for (const p of person.pages) {
          pages[p.path] = {
            body: p.html(origin),
            ...(options.pageLatencyMs !== undefined ? { latencyMs: options.pageLatencyMs } : {})
          }
        }
      }
      return { ...pages, ...options.pages?.(origin) }
    }, scale)
    const rules: ReadonlyArray<FakeSearch.SearchRule> = options.search?.rules ?? [
      ...people.map((person) => ({
        match: person.searchMatch,
        reply: FakeSearch.SearchReply.results(People.hitsFor(person, web.origin))
      })),
      // Surnames alone match the pages of everyone carrying them (homonyms included).
      ...people.map((person) => ({
        match: new RegExp(`\\b${person.name.split(" ").at(-1) ?? person.name}\\b`, "i"),
        reply: FakeSearch.SearchReply.results(
          people
            .filter((p) => p.name.split(" ").at(-1) === person.name.split(" ").at(-1))
            .flatMap((p) => People.hitsFor(p, web.origin))
        )
      }))
    ]
    const search = yield* FakeSearch.make({ ...options.search, rules }, scale)
    const llm = yield* FakeLlm.make(options.llm, scale)
    const arxiv = yield* FakeArxiv.make(
      {
        ...options.arxiv,
        entries: options.arxiv?.entries ?? [...people.flatMap((p) => p.papers), ...People.otherPapers]
      },
      scale
    )
    const openalex = yield* FakeOpenAlex.make({ people, ...options.openalex }, scale)
    const semanticScholar = yield* FakeSemanticScholar.make({ people, ...options.semanticScholar }, scale)
    const env: Record<string, string> = {
      OPENAI_API_KEY: options.llm?.apiKey ?? "sk-testkit",
      OPENAI_BASE_URL: llm.baseUrl,
      SEARXNG_URL: search.searxngUrl,
      BRAVE_SEARCH_API_KEY: search.braveApiKey,
      BRAVE_SEARCH_URL: search.braveUrl,
      ARXIV_API_URL: arxiv.url,
      SCRIBE_ARXIV_MIN_INTERVAL_MS: String(Math.round(arxiv.minIntervalMs)),
      OPENALEX_API_URL: openalex.url,
      OPENALEX_API_KEY: openalex.apiKey,
      OPENALEX_MAILTO: "testkit@example.org",
      SEMANTIC_SCHOLAR_API_URL: semanticScholar.url,
      SEMANTIC_SCHOLAR_API_KEY: semanticScholar.apiKey,
      // Scribe's defaults (10 and 1 requests a second), scaled like the other budgets.
      SCRIBE_OPENALEX_RPS: String(Math.max(1, Math.round(10 / scale))),
      SCRIBE_SEMANTIC_SCHOLAR_RPS: String(Math.max(1, Math.round(1 / scale))),
      SCRIBE_ALLOW_PRIVATE_FETCH: "true",
      // Budgets scale inversely with latencies: the default one search per second becomes 1/scale per second.
      SCRIBE_SEARCH_RPS: String(Math.max(1, Math.round(1 / scale))),
      ...(options.llm?.rpm !== undefined ? { SCRIBE_LLM_RPM: String(Math.floor(options.llm.rpm / scale)) } : {})
    }
    return {
      scale,
      llm,
      search,
      web,
      arxiv,
      openalex,
      semanticScholar,
      people,
      url: web.url,
      pageUrls: (person) => person.pages.map((p) => web.url(p.path)),
      env,
      configProvider: (overrides = {}) => ConfigProvider.fromMap(new Map(Object.entries({ ...env, ...overrides }))),
      reset: () => {
        llm.reset()
        search.reset()
        web.reset()
        arxiv.reset()
        openalex.reset()
        semanticScholar.reset()
      }
    }
  })

export const layer = (options: Options = {}): Layer.Layer<World> => Layer.scoped(World, make(options))

/** The suite's world, reset for the test: logs cleared, the initial scripts, pages, papers and throttling back. */
export const fresh: Effect.Effect<WorldService, never, World> = Effect.flatMap(World, (world) =>
  Effect.sync(() => {
    world.reset()
    return world
  })
)
