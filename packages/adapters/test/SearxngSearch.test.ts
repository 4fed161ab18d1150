import { NodeHttpClient } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { WebSearch } from "@scribe/core/upstream/WebSearch"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as Budgets from "../src/upstream/Budgets"
import * as SearxngSearch from "../src/upstream/SearxngSearch"
import { SearchReply } from "../testkit/FakeSearch"
import * as People from "../testkit/People"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh, World } from "../testkit/World"

const searxng = (options: Partial<SearxngSearch.Options> = {}) =>
  Effect.flatMap(World, (world) =>
    SearxngSearch.make({
      provider: { _tag: "Searxng", url: world.search.searxngUrl },
      requestsPerSecond: 100,
      ...options
    }).pipe(Effect.provide(Budgets.layerMemory))
  )

const brave = (apiKey?: string) =>
  Effect.flatMap(World, (world) =>
    SearxngSearch.make({
      provider: {
        _tag: "Brave",
        url: world.search.braveUrl,
        apiKey: Redacted.make(apiKey ?? world.search.braveApiKey)
      },
      requestsPerSecond: 100
    }).pipe(Effect.provide(Budgets.layerMemory))
  )

layer(Layer.merge(WorldModule.layer(), NodeHttpClient.layerUndici), { excludeTestServices: true })(
  "SearxngSearch against the world",
  (it) => {
    it.effect("SearXNG: scripted hits for a person, JSON format asked, limit applied", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        const search = yield* searxng()
        const hits = yield* search.search("Ada Lovelace analytical engines", 10)
        expect(hits.map((h) => h.url)).toEqual(world.pageUrls(People.ada))
        expect(hits[0]).toMatchObject({
          title: People.ada.pages[0]!.title,
          snippet: People.ada.pages[0]!.snippet
        })
        expect(yield* search.search("Ada Lovelace", 1)).toHaveLength(1)
        expect(yield* search.search("Zed Nobody quantum basket weaving", 5)).toEqual([])
        expect(yield* search.search("   ", 5)).toEqual([])
        const request = world.search.log.entries[0]!
        expect(request.path).toBe("/search")
        expect(request.query.get("format")).toBe("json")
        expect(request.query.get("q")).toBe("Ada Lovelace analytical engines")
        expect(world.search.queries).toHaveLength(3)
      })
    )

    it.effect("keeps only http(s) URLs, once each, with markup stripped", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        world.search.setScript(() =>
          SearchReply.results([
            { url: "javascript:alert(1)", title: "bad", content: "" },
            { url: "https://a.example/x#top", title: "<b>A</b> &amp; B", content: "one\n  two" },
            { url: "https://a.example/x", title: "dup", content: "" },
            { url: "not a url", title: "bad", content: "" },
            { url: "http://b.example/", title: "B", content: "" }
          ])
        )
        const hits = yield* (yield* searxng()).search("anything", 10)
        expect(hits.map((h) => ({ ...h }))).toEqual([
          { url: "https://a.example/x", title: "A & B", snippet: "one two" },
          { url: "http://b.example/", title: "B", snippet: "" }
        ])
      })
    )

    it.effect("SearXNG failures: 5xx, 429 + Retry-After, 403 (JSON disabled), not JSON, too slow", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        const search = yield* searxng({ timeout: "300 millis" })
        const cases: ReadonlyArray<[SearchReply, Partial<{ kind: string; retryAfterMs: number | null }>]> = [
          [SearchReply.error(502), { kind: "unavailable" }],
          [SearchReply.error(429, { retryAfterSeconds: 3 }), { kind: "rate_limited", retryAfterMs: 3000 }],
          [SearchReply.error(403), { kind: "invalid_request" }],
          [SearchReply.error(200, { body: "<html>not json</html>" }), { kind: "malformed_response" }],
          [{ _tag: "Results", results: [], latencyMs: 2000 }, { kind: "timeout" }]
        ]
        for (const [reply, expected] of cases) {
          world.search.setScript(() => reply)
          expect(yield* failure(search.search("q", 5))).toMatchObject(expected)
        }
        const down = yield* SearxngSearch.make({
          provider: { _tag: "Searxng", url: "http://127.0.0.1:9" },
          requestsPerSecond: 10
        }).pipe(Effect.provide(Budgets.layerMemory))
        expect(yield* failure(down.search("q", 5))).toMatchObject({ kind: "unavailable" })
      })
    )

    it.effect("Brave: same port, its own shape; <strong> marks stripped; a wrong key is an auth failure", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        const hits = yield* (yield* brave()).search("Mallory Quinn compilers", 3)
        expect(hits).toHaveLength(1)
        expect(hits[0]).toMatchObject({
          url: world.url("/people/mallory-quinn"),
          snippet: People.mallory.pages[0]!.snippet
        })
        const request = world.search.log.entries[0]!
        expect(request.path).toBe("/res/v1/web/search")
        expect(request.query.get("count")).toBe("3")
        expect(yield* failure((yield* brave("wrong-key")).search("q", 3))).toMatchObject({ kind: "auth" })
        world.search.setScript(() =>
          SearchReply.error(429, { body: JSON.stringify({ error: { code: "QUOTA_LIMITED" } }) })
        )
        expect(yield* failure((yield* brave()).search("q", 3))).toMatchObject({ kind: "quota" })
      })
    )

    it.effect("waits for the per-second budget instead of flooding the engine", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        const search = yield* searxng({ requestsPerSecond: 5 })
        yield* Effect.all(
          Array.from({ length: 10 }, (_, i) => search.search(`query ${i}`, 3)),
          { concurrency: "unbounded" }
        )
        const times = world.search.log.entries.map((e) => e.at)
        expect(times).toHaveLength(10)
        // A bucket of 5 refilled at 5/s: the 10th request cannot come before ~1 s after the first.
        expect(times[9]! - times[0]!).toBeGreaterThanOrEqual(800)
      })
    )

    it.effect("layerConfig: SearXNG when SEARXNG_URL is set, else Brave, else a clear failure", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        const run = (env: Record<string, string>) =>
          Effect.flatMap(WebSearch, (s) => s.search("Ada Lovelace", 2)).pipe(
            Effect.provide(
              SearxngSearch.layerConfig.pipe(
                Layer.provide(Budgets.layerMemory),
                Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
              )
            )
          )
        yield* run({ SEARXNG_URL: world.search.searxngUrl, BRAVE_SEARCH_API_KEY: "ignored" }).pipe(Effect.orDie)
        yield* run({ BRAVE_SEARCH_API_KEY: world.search.braveApiKey, BRAVE_SEARCH_URL: world.search.braveUrl }).pipe(
          Effect.orDie
        )
        expect(world.search.log.entries.map((e) => e.path)).toEqual(["/search", "/res/v1/web/search"])
        const none = yield* run({ SEARXNG_URL: " " }).pipe(Effect.flip)
        expect(String(none)).toContain("SEARXNG_URL")
        expect(String(none)).toContain("BRAVE_SEARCH_API_KEY")
        const badUrl = yield* run({ SEARXNG_URL: "searx.local" }).pipe(Effect.flip)
        expect(String(badUrl)).toContain("SEARXNG_URL")
        const badRps = yield* run({ SEARXNG_URL: world.search.searxngUrl, SCRIBE_SEARCH_RPS: "0" }).pipe(Effect.flip)
        expect(String(badRps)).toContain("SCRIBE_SEARCH_RPS")
      })
    )
  }
)
