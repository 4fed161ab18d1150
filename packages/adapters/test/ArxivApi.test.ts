import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { Arxiv } from "@scribe/core/upstream/Arxiv"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import * as ArxivApi from "../src/upstream/ArxivApi"
import * as Budgets from "../src/upstream/Budgets"
import * as People from "../testkit/People"
import { redisOptions, redisReachable, scopedPrefix } from "../testkit/TestRedis"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh } from "../testkit/World"

/** An adapter on the suite's HTTP client; the budget comes from the caller (shared or not). */
const adapter = (url: string, options: Partial<ArxivApi.Options> = {}) =>
  ArxivApi.make({ url, minInterval: 0, ...options })

const withOwnBudget = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, Budgets.layerMemory)

/** In CI Redis is up (the CI script starts it), so the shared-budget case runs there. */
const redisUp = await redisReachable

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => t - times[i]!)

describe("ArxivApi query", () => {
  it.each([
    ["Prof. Ada Lovelace, PhD", null, '(au:"Ada Lovelace" OR au:Lovelace_A)'],
    [
      "Dr Ada Lovelace",
      "analytical engines",
      '(au:"Ada Lovelace" OR au:Lovelace_A) AND (all:analytical OR all:engines)'
    ],
    ["Lovelace, Ada", null, '(au:"Ada Lovelace" OR au:Lovelace_A)'],
    ['Ada "Countess" Lovelace', null, '(au:"Ada Countess Lovelace" OR au:Lovelace_A)'],
    ["Professor Dr. Élise Müller", null, '(au:"Élise Müller" OR au:"Elise Muller" OR au:Muller_E)'],
    ["Lovelace", "the study of AND (engines)", "au:Lovelace AND (all:engines)"],
    ['Ada Lovelace" OR au:"Someone', null, '(au:"Ada Lovelace OR au Someone" OR au:Someone_A)']
  ])("%s / %s → %s", (name, topic, expected) => {
    expect(ArxivApi.authorQuery(name, topic)).toBe(expected)
  })

  it("has no query for a name made only of titles or punctuation", () => {
    expect(ArxivApi.authorQuery("Prof.", null)).toBeNull()
    expect(ArxivApi.authorQuery(' "" ', null)).toBeNull()
  })

  it("reads arXiv's error entry and refuses what is not a feed", () => {
    expect(ArxivApi.parseFeed("<html><body>Oops</body></html>")._tag).toBe("Malformed")
    const error = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>
      <summary>incorrect id format for 1234</summary></entry></feed>`
    expect(ArxivApi.parseFeed(error)).toEqual({ _tag: "ApiError", message: "incorrect id format for 1234" })
    const empty = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>q</title></feed>`
    expect(ArxivApi.parseFeed(empty)).toEqual({ _tag: "Papers", papers: [] })
  })
})

layer(Layer.merge(WorldModule.layer({ arxiv: { minIntervalMs: 0 } }), NodeHttpClient.layerUndici), {
  excludeTestServices: true
})("ArxivApi against the world", (it) => {
  it.effect("returns every entry arXiv returned, newest first, fields decoded", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const arxiv = yield* withOwnBudget(adapter(world.arxiv.url))
      const papers = yield* arxiv.searchByAuthor({ author: People.ada.asTyped, topic: null, maxResults: 10 })
      // au:Lovelace_A also finds the homonym Alan Lovelace: verifying authorship is the pipeline's job.
      expect(papers.map((p) => p.id)).toEqual([
        "2405.11111v1",
        "2403.01234v2",
        "2310.22222v2",
        "2309.04567v1",
        "2201.07890v3"
      ])
      const [, symbolic, , poetical, bernoulli] = papers
      expect(symbolic).toMatchObject({
        title: "Symbolic Computation on the Analytical Engine: Notes & Extensions",
        authors: ["Ada Lovelace", "Charles Babbage"],
        url: "http://arxiv.org/abs/2403.01234v2"
      })
      expect(symbolic?.summary).toMatch(/^We revisit the notes .* algebraic patterns\.$/)
      expect(symbolic?.published.toISOString()).toBe("2024-03-02T17:21:07.000Z")
      // A title wrapped over lines by arXiv, with escaped markup.
      expect(poetical?.title).toBe(People.ada.papers[1]!.title)
      expect(poetical?.authors).toEqual(["Mary Somerville", "Ada Lovelace", "Élise Müller"])
      // Non-ASCII sent as numeric character references.
      expect(bernoulli?.title).toBe("Bernoulli Numbers via Difference Engines — a Revisited Algorithm")

      const request = world.arxiv.accepted()[0]!
      expect(request.query.get("search_query")).toBe('(au:"Ada Lovelace" OR au:Lovelace_A)')
      expect(Object.fromEntries(request.query)).toMatchObject({
        start: "0",
        max_results: "10",
        sortBy: "submittedDate",
        sortOrder: "descending"
      })
    })
  )

  it.effect("a single entry, an old-style id, a topic, and an empty result", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const arxiv = yield* withOwnBudget(adapter(world.arxiv.url))
      const mallory = yield* arxiv.searchByAuthor({ author: "Mallory Quinn", topic: null, maxResults: 5 })
      expect(mallory.map((p) => p.title)).toEqual(["Superoptimizing Loop Nests with Equality Saturation"])
      const dirac = yield* arxiv.searchByAuthor({ author: "Paul Dirac", topic: null, maxResults: 5 })
      expect(dirac.map((p) => p.id)).toEqual(["hep-th/9901001v1"])
      const topical = yield* arxiv.searchByAuthor({ author: "Ada Lovelace", topic: "Bernoulli", maxResults: 5 })
      expect(topical.map((p) => p.id)).toEqual(["2201.07890v3"])
      expect(yield* arxiv.searchByAuthor({ author: People.nobody.asTyped, topic: null, maxResults: 5 })).toEqual([])
      // A name that is only a title makes no request at all.
      expect(yield* arxiv.searchByAuthor({ author: "Dr.", topic: null, maxResults: 5 })).toEqual([])
      expect(world.arxiv.accepted()).toHaveLength(4)
    })
  )

  it.effect("classifies failures: 5xx, a non-feed answer, a slow API, nobody listening", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const query = { author: "Ada Lovelace", topic: null, maxResults: 3 }
      world.arxiv.setFailure(500)
      const arxiv = yield* withOwnBudget(adapter(world.arxiv.url))
      expect(yield* failure(arxiv.searchByAuthor(query))).toMatchObject({ kind: "unavailable" })
      world.arxiv.setFailure(400)
      expect(yield* failure(arxiv.searchByAuthor(query))).toMatchObject({ kind: "invalid_request" })
      world.arxiv.setFailure(null)

      world.web.setPage("/api/query", { body: "<html><body>Maintenance</body></html>" })
      const notAtom = yield* withOwnBudget(adapter(world.url("/api/query")))
      expect(yield* failure(notAtom.searchByAuthor(query))).toMatchObject({ kind: "malformed_response" })

      world.web.setPage("/slow/api/query", { latencyMs: 5000, body: "<feed/>" })
      const slow = yield* withOwnBudget(adapter(world.url("/slow/api/query"), { timeout: "200 millis" }))
      expect(yield* failure(slow.searchByAuthor(query))).toMatchObject({ kind: "timeout" })

      const down = yield* withOwnBudget(adapter("http://127.0.0.1:9/api/query"))
      expect(yield* failure(down.searchByAuthor(query))).toMatchObject({ kind: "unavailable" })
    })
  )

  it.effect("spaces requests by the interval, also from concurrent callers and two adapters sharing a budget", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.arxiv.setThrottle(200)
      const query = { author: "Ada Lovelace", topic: null, maxResults: 3 }
      yield* Effect.gen(function* () {
        // Spaced by 400 ms where arXiv wants 200: the slack absorbs network jitter on a loaded machine.
        const first = yield* adapter(world.arxiv.url, { minInterval: "400 millis" })
        const second = yield* adapter(world.arxiv.url, { minInterval: "400 millis" })
        yield* Effect.all(
          [first, second, first, second, first].map((a) => a.searchByAuthor(query)),
          { concurrency: "unbounded" }
        )
      }).pipe(Effect.provide(Budgets.layerMemory))
      expect(world.arxiv.throttled()).toHaveLength(0)
      const accepted = world.arxiv.accepted().map((r) => r.at)
      expect(accepted).toHaveLength(5)
      for (const gap of gaps(accepted)) expect(gap).toBeGreaterThanOrEqual(200)
    })
  )

  it.effect("honours 503 + Retry-After: waits it out and succeeds; gives up when told to wait too long", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.arxiv.setThrottle(1000)
      const query = { author: "Mallory Quinn", topic: null, maxResults: 3 }
      // No budget of its own: the second call comes too soon and is throttled (Retry-After: 1).
      const eager = yield* withOwnBudget(adapter(world.arxiv.url))
      yield* eager.searchByAuthor(query)
      const papers = yield* eager.searchByAuthor(query)
      expect(papers).toHaveLength(1)
      expect(world.arxiv.throttled()).toHaveLength(1)
      expect(world.arxiv.accepted()).toHaveLength(2)
      const [throttledAt] = world.arxiv.throttled().map((r) => r.at)
      expect(world.arxiv.accepted()[1]!.at - throttledAt!).toBeGreaterThanOrEqual(900)

      const impatient = yield* withOwnBudget(adapter(world.arxiv.url, { throttleRetries: 0 }))
      expect(yield* failure(impatient.searchByAuthor(query))).toEqual({
        kind: "rate_limited",
        message: "arXiv is throttling requests",
        retryAfterMs: 1000
      })
      const hasty = yield* withOwnBudget(adapter(world.arxiv.url, { maxThrottleWait: "100 millis" }))
      yield* Effect.sleep("1100 millis")
      yield* hasty.searchByAuthor(query)
      expect(yield* failure(hasty.searchByAuthor(query))).toMatchObject({ kind: "rate_limited", retryAfterMs: 1000 })
    })
  )

  it.effect(
    "a throttle pushes the shared budget back: after it, nobody sharing the budget calls before Retry-After",
    () =>
      Effect.gen(function* () {
        const world = yield* fresh
        world.arxiv.setThrottle(600)
        const query = { author: "Mallory Quinn", topic: null, maxResults: 3 }
        yield* Effect.gen(function* () {
          // Spaced by 100 ms where arXiv wants 600 ms: the burst is throttled, and the penalty spaces everyone after.
          const a = yield* adapter(world.arxiv.url, { minInterval: "100 millis" })
          const b = yield* adapter(world.arxiv.url, { minInterval: "100 millis" })
          const results = yield* Effect.all(
            [a, b, a].map((x) => x.searchByAuthor(query)),
            { concurrency: "unbounded" }
          )
          expect(results.map((r) => r.length)).toEqual([1, 1, 1])
        }).pipe(Effect.provide(Budgets.layerMemory))
        expect(world.arxiv.accepted()).toHaveLength(3)
        const throttled = world.arxiv.throttled()
        expect(throttled.length).toBeGreaterThanOrEqual(1)
        expect(throttled.length).toBeLessThanOrEqual(2)
        const last = throttled[throttled.length - 1]!
        const next = world.arxiv.log.entries.find((e) => e.at > last.at)
        expect(next!.at - last.at).toBeGreaterThanOrEqual(900)
      })
  )

  it.effect("layerConfig reads ARXIV_API_URL and SCRIBE_ARXIV_MIN_INTERVAL_MS, and names a bad value", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const search = Effect.flatMap(Arxiv, (a) =>
        a.searchByAuthor({ author: "Paul Dirac", topic: null, maxResults: 1 })
      )
      const withEnv = (env: Record<string, string>) =>
        ArxivApi.layerConfig.pipe(
          Layer.provide(Budgets.layerMemory),
          Layer.provide(Layer.setConfigProvider(world.configProvider(env)))
        )
      expect(yield* search.pipe(Effect.provide(withEnv({})), Effect.orDie)).toHaveLength(1)
      const error = yield* search.pipe(Effect.provide(withEnv({ SCRIBE_ARXIV_MIN_INTERVAL_MS: "soon" })), Effect.flip)
      expect(String(error)).toContain("SCRIBE_ARXIV_MIN_INTERVAL_MS")
      const badUrl = yield* search.pipe(Effect.provide(withEnv({ ARXIV_API_URL: "ftp://x" })), Effect.flip)
      expect(String(badUrl)).toContain("ARXIV_API_URL")
      const defaults = yield* search.pipe(
        Effect.provide(
          ArxivApi.layerConfig.pipe(
            Layer.provide(Budgets.layerMemory),
            Layer.provide(
              Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["ARXIV_API_URL", world.arxiv.url]])))
            )
          )
        ),
        Effect.orDie
      )
      expect(defaults).toHaveLength(1)
    })
  )

  describe.skipIf(!redisUp)("with the Redis budget store", () => {
    it.effect("two workers, each with its own Redis-backed limiter, share the spacing", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        world.arxiv.setThrottle(200)
        const prefix = yield* scopedPrefix("arxiv")
        const query = { author: "Paul Dirac", topic: null, maxResults: 1 }
        // Each worker builds its own Redis client and limiter: only the store is shared.
        const worker = Effect.flatMap(adapter(world.arxiv.url, { minInterval: Duration.millis(400) }), (a) =>
          a.searchByAuthor(query)
        ).pipe(Effect.provide(Budgets.layerRedis(redisOptions, prefix)))
        yield* Effect.all([worker, worker, worker, worker], { concurrency: "unbounded" })
        expect(world.arxiv.throttled()).toHaveLength(0)
        expect(world.arxiv.accepted()).toHaveLength(4)
        for (const gap of gaps(world.arxiv.accepted().map((r) => r.at))) expect(gap).toBeGreaterThanOrEqual(200)
      }).pipe(Effect.scoped)
    )
  })
})
