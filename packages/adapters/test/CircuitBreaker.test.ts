import { describe, expect, it, layer } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, Option, Redacted, TestClock } from "effect"
import * as OpenAlex from "../src/scholarly/OpenAlex"
import * as ArxivApi from "../src/upstream/ArxivApi"
import * as Budgets from "../src/upstream/Budgets"
import * as CircuitBreaker from "../src/upstream/CircuitBreaker"
import { PlainHttpError } from "../src/upstream/PlainHttp"
import * as People from "../testkit/People"
import { freePort } from "../testkit/TempPostgres"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh } from "../testkit/World"

const refusedFor = (breaker: CircuitBreaker.CircuitBreaker) =>
  Effect.map(Effect.either(breaker.admit), (e) => (Either.isLeft(e) ? e.left.retryInMs : null))

describe("CircuitBreaker", () => {
  it.effect("an unreachable upstream is skipped at once, then tried by one call after the cool-down", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({ label: "arXiv", coolDown: "30 seconds" })
      yield* breaker.admit
      yield* breaker.record("unreachable", "getaddrinfo ENOTFOUND export.arxiv.org")
      expect(yield* breaker.state).toBe("open")
      const open = yield* Effect.flip(breaker.admit)
      expect(open.retryInMs).toBe(30_000)
      expect(open.message).toBe("arXiv is skipped for 30 s after failing: getaddrinfo ENOTFOUND export.arxiv.org")
      yield* TestClock.adjust("30 seconds")
      yield* breaker.admit
      expect(yield* breaker.state).toBe("half_open")
      // Only the trial goes; the others are refused until it has answered.
      expect(yield* refusedFor(breaker)).toBe(1000)
      yield* breaker.record("success")
      expect(yield* breaker.state).toBe("closed")
      expect(yield* refusedFor(breaker)).toBeNull()
    })
  )

  it.effect("a failed trial doubles the cool-down, up to the maximum", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({
        label: "OpenAlex",
        coolDown: "10 seconds",
        maxCoolDown: "25 seconds"
      })
      yield* breaker.record("unreachable")
      for (const wait of [10, 20, 25, 25]) {
        expect(yield* refusedFor(breaker)).toBe(wait * 1000)
        yield* TestClock.adjust(Duration.seconds(wait))
        yield* breaker.admit
        yield* breaker.record("server_error")
      }
    })
  )

  it.effect(
    "opens after three server failures in a row; an answer in between resets the count; a 429 says nothing",
    () =>
      Effect.gen(function* () {
        const breaker = yield* CircuitBreaker.make({ label: "search" })
        for (const outcome of [
          "server_error",
          "server_error",
          "success",
          "server_error",
          "neutral",
          "server_error"
        ] as const) {
          yield* breaker.record(outcome)
        }
        expect(yield* breaker.state).toBe("closed")
        yield* breaker.record("server_error")
        expect(yield* breaker.state).toBe("open")
        expect(CircuitBreaker.statusOutcome(429)).toBe("neutral")
        expect(CircuitBreaker.statusOutcome(503, true)).toBe("neutral")
        expect(CircuitBreaker.statusOutcome(503)).toBe("server_error")
        expect(CircuitBreaker.statusOutcome(404)).toBe("success")
      })
  )

  it.effect("a wait for budget stops when the breaker opens, and none starts while it is open", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({ label: "arXiv" })
      const waiting = yield* Effect.fork(breaker.spend(Effect.sleep("10 seconds")))
      yield* TestClock.adjust("1 second")
      yield* breaker.record("unreachable", "connect ECONNREFUSED")
      const stopped = yield* Fiber.join(waiting).pipe(Effect.flip)
      expect(stopped._tag).toBe("BreakerOpen")
      let started = false
      const refused = yield* Effect.flip(breaker.spend(Effect.sync(() => (started = true))))
      expect(refused._tag).toBe("BreakerOpen")
      expect(started).toBe(false)
    })
  )

  it("reads a refused connection and a name that does not resolve as unreachable, a timeout as a failure", () => {
    const request = (code: string) =>
      new PlainHttpError({ reason: "request", message: code, cause: Object.assign(new Error(code), { code }) })
    expect(CircuitBreaker.transportOutcome(request("ECONNREFUSED"))).toBe("unreachable")
    expect(CircuitBreaker.transportOutcome(request("ENOTFOUND"))).toBe("unreachable")
    expect(CircuitBreaker.transportOutcome(request("ECONNRESET"))).toBe("server_error")
    expect(CircuitBreaker.transportOutcome(new PlainHttpError({ reason: "timeout", message: "slow" }))).toBe(
      "server_error"
    )
  })
})

describe("adapters behind their breaker", () => {
  it.live("arXiv unreachable: five searches fail within a second instead of waiting 3 s turns", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      for (const url of [`http://127.0.0.1:${port}/api/query`, "http://export.arxiv.invalid/api/query"]) {
        const arxiv = yield* ArxivApi.make({ url, minInterval: "3 seconds" }).pipe(Effect.provide(Budgets.layerMemory))
        const started = Date.now()
        const results = yield* Effect.all(
          Array.from({ length: 5 }, () =>
            failure(arxiv.searchByAuthor({ author: "Ada Lovelace", topic: null, maxResults: 5 }))
          ),
          { concurrency: "unbounded" }
        )
        expect(Date.now() - started).toBeLessThan(1000)
        for (const r of results) expect(r.kind).toBe("unavailable")
        expect(results.filter((r) => r.message.startsWith("arXiv is skipped"))).toHaveLength(4)
      }
    })
  )
})

layer(WorldModule.layer({ people: People.all }), { excludeTestServices: true })("a failing scholarly source", (it) => {
  it.effect("three 5xx in a row and OpenAlex is skipped: the next lookup makes no request", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.openalex.setFailure(502)
      const openalex = yield* OpenAlex.make({
        url: world.openalex.url,
        apiKey: Redacted.make(world.openalex.apiKey),
        mailto: Option.none(),
        requestsPerSecond: 1000
      }).pipe(Effect.provide(Budgets.layerMemory))
      const lookup = openalex.lookup([{ name: "Ada Lovelace", interest: "engines" }], {
        since: new Date("2016-01-01"),
        maxWorks: 5
      })
      for (let i = 0; i < 3; i++) expect((yield* failure(lookup)).message).toBe("OpenAlex answered 502")
      const skipped = yield* failure(lookup)
      expect(skipped.kind).toBe("unavailable")
      expect(skipped.message).toContain("OpenAlex is skipped for 30 s")
      expect(skipped.retryAfterMs).toBeGreaterThan(29_000)
      expect(world.openalex.accepted()).toHaveLength(3)
    })
  )
})
