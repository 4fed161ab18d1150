import { describe, expect, it, layer } from "@effect/vitest"
import { Config, Effect } from "effect"
import * as FakeArxiv from "../testkit/FakeArxiv"
import { Reply } from "../testkit/FakeLlm"
import * as People from "../testkit/People"
import * as WorldModule from "../testkit/World"
import { fresh, Paths } from "../testkit/World"

const get = (url: string, init?: RequestInit) =>
  Effect.promise(() =>
    fetch(url, init).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.text() }))
  )

describe("the world's fixtures", () => {
  it("a professor with exactly three papers, a homonym arXiv confuses with her, a nobody, an injection page", () => {
    expect(People.ada.papers).toHaveLength(3)
    expect(
      People.ada.papers.every((p) => p.authors.some((a) => (typeof a === "string" ? a : a.name) === "Ada Lovelace"))
    ).toBe(true)
    expect(People.alan.name.split(" ").at(-1)).toBe("Lovelace")
    expect(People.alan.name[0]).toBe(People.ada.name[0])
    expect(People.alan.papers.some((p) => p.authors.includes("Ada Lovelace"))).toBe(false)
    expect(People.nobody.papers).toHaveLength(0)
    expect(People.nobody.pages).toHaveLength(0)
    const injection = People.mallory.pages[0]!.html("http://x")
    for (const marker of People.injectionMarkers) expect(injection.toLowerCase()).toContain(marker.toLowerCase())
  })

  it("evaluates arXiv's query language", () => {
    const { matches, parseQuery } = FakeArxiv.internal
    const ids = (query: string) => People.allPapers.filter((p) => matches(p, parseQuery(query))).map((p) => p.id)
    expect(ids('au:"Ada Lovelace"')).toEqual(People.ada.papers.map((p) => p.id))
    expect(ids("au:Lovelace_A")).toEqual([...People.ada.papers, ...People.alan.papers].map((p) => p.id))
    expect(ids('au:Lovelace ANDNOT au:"Ada Lovelace"')).toEqual(People.alan.papers.map((p) => p.id))
    expect(ids('(au:"Ada Lovelace" OR au:Quinn) AND (all:saturation OR all:bernoulli)')).toEqual([
      "2201.07890v3",
      "2402.33333v1"
    ])
    expect(ids('ti:"deep-sea cephalopods"')).toEqual(["2310.22222v2"])
    expect(ids("all:lovelace")).toContain("2406.44444v1")
    expect(() => parseQuery('au:"unbalanced')).toThrow()
    expect(() => parseQuery("(au:x")).toThrow()
  })
})

layer(WorldModule.layer({ scale: 0.1, arxiv: { throttleStatus: 429, minIntervalMs: 10_000 } }), {
  excludeTestServices: true
})("the world's servers", (it) => {
  it.effect("four servers on loopback ports, and an environment pointing Scribe at them", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const origins = [world.llm.origin, world.search.origin, world.web.origin, world.arxiv.origin]
      expect(new Set(origins).size).toBe(4)
      for (const origin of origins) expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(world.env).toMatchObject({
        OPENAI_BASE_URL: `${world.llm.origin}/v1`,
        SEARXNG_URL: world.search.origin,
        ARXIV_API_URL: `${world.arxiv.origin}/api/query`,
        SCRIBE_ALLOW_PRIVATE_FETCH: "true",
        SCRIBE_ARXIV_MIN_INTERVAL_MS: "1000"
      })
      const fromEnv = yield* Config.string("SEARXNG_URL").pipe(Effect.withConfigProvider(world.configProvider()))
      expect(fromEnv).toBe(world.search.origin)
      expect(world.pageUrls(People.ada)).toEqual([world.url("/people/ada-lovelace"), world.url("/labs/engines")])
    })
  )

  it.effect("web: pages, redirects and logs of what was served", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const page = yield* get(world.url("/people/ada-lovelace"))
      expect(page.status).toBe(200)
      expect(page.body).toContain("Analytical Engines Lab")
      const redirect = yield* get(world.url(Paths.redirectLoopback), { redirect: "manual" })
      expect(redirect.status).toBe(302)
      expect(redirect.headers.get("location")).toBe(world.url(Paths.secret))
      expect((yield* get(world.url("/nope"))).status).toBe(404)
      expect(world.web.served()).toEqual([world.url("/people/ada-lovelace")])
      expect(world.web.requested()).toEqual(["/people/ada-lovelace", Paths.redirectLoopback, "/nope"])
    })
  )

  it.effect("search: SearXNG and Brave shapes from the same rules", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const searx = JSON.parse(
        (yield* get(`${world.search.searxngUrl}/search?q=${encodeURIComponent("Alan Lovelace")}&format=json`)).body
      )
      expect(searx.results.map((r: { url: string }) => r.url)).toEqual(world.pageUrls(People.alan))
      // The surname alone finds both Lovelaces.
      const surname = JSON.parse((yield* get(`${world.search.searxngUrl}/search?q=Lovelace&format=json`)).body)
      expect(surname.results).toHaveLength(3)
      expect((yield* get(`${world.search.searxngUrl}/search?q=x`)).status).toBe(403)
      const brave = yield* get(`${world.search.braveUrl}?q=Mallory+Quinn+compiler&count=5`, {
        headers: { "x-subscription-token": world.search.braveApiKey }
      })
      expect(JSON.parse(brave.body).web.results[0].description).toContain("<strong>compiler</strong>")
      expect(world.search.queries.map((q) => q.provider)).toEqual(["searxng", "searxng", "brave"])
    })
  )

  it.effect("arXiv: Atom with namespaces; throttled (here with 429) when called sooner than its interval", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const url = `${world.arxiv.url}?search_query=${encodeURIComponent('au:"Mallory Quinn"')}&max_results=5`
      const feed = yield* get(url)
      expect(feed.status).toBe(200)
      expect(feed.headers.get("content-type")).toContain("application/atom+xml")
      expect(feed.body).toContain('xmlns="http://www.w3.org/2005/Atom"')
      expect(feed.body).toContain("<opensearch:totalResults>1</opensearch:totalResults>")
      expect(feed.body).toContain("<arxiv:primary_category")
      const throttled = yield* get(url)
      expect(throttled.status).toBe(429)
      expect(throttled.headers.get("retry-after")).toBe("1")
      yield* Effect.sleep("1100 millis")
      const bad = yield* get(`${world.arxiv.url}?search_query=${encodeURIComponent("au:(")}`)
      expect(bad.status).toBe(400)
      expect(bad.body).toContain("api/errors")
      expect(world.arxiv.accepted()).toHaveLength(2)
      expect(world.arxiv.throttled()).toHaveLength(1)
    })
  )

  it.effect("LLM: scripts route by step; calls are counted per step; reset forgets", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript((request) =>
        request.step === "template_parser" ? Reply.json({ ok: true }) : Reply.serverError()
      )
      const call = (step: string) =>
        get(`${world.llm.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-scribe-step": step, authorization: "Bearer k" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] })
        })
      const ok = yield* call("template_parser")
      expect(JSON.parse(ok.body).choices[0].message.content).toBe('{"ok":true}')
      expect((yield* call("email_composer")).status).toBe(500)
      expect(world.llm.calls()).toBe(2)
      expect(world.llm.calls("template_parser")).toBe(1)
      expect(world.llm.succeeded()).toBe(1)
      world.reset()
      expect(world.llm.calls()).toBe(0)
      expect((yield* call("template_parser")).status).toBe(400)
    })
  )
})
