import * as RateLimiter from "@effect/experimental/RateLimiter"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Either, Layer } from "effect"
import * as Budgets from "../src/upstream/Budgets"
import { describeRedis, redisOptions, redisUrl, uniquePrefix, wipePrefix } from "../testkit/TestRedis"

/** Tries `attempts` requests against a budget of 3 per minute, alternating between the given limiters. */
const spend = (limiters: ReadonlyArray<RateLimiter.RateLimiter>, key: string, attempts: number) =>
  Effect.forEach(
    Array.from({ length: attempts }, (_, i) => i),
    (i) =>
      Effect.either(limiters[i % limiters.length]!.consume({ key, limit: 3, window: "1 minute", onExceeded: "fail" }))
  ).pipe(Effect.map((results) => results.filter(Either.isRight).length))

/** A limiter of its own (its own store connection), as a separate worker process would have. */
const limiterFrom = <E>(layer: Layer.Layer<RateLimiter.RateLimiter, E>) =>
  Effect.map(Layer.build(layer), Context.get(RateLimiter.RateLimiter))

await describeRedis("Budgets (RateLimiter) shared through Redis", () => {
  describe("Budgets", () => {
    it.scoped("two workers with their own Redis connections share one budget", () =>
      Effect.gen(function* () {
        const prefix = uniquePrefix("budget")
        yield* Effect.addFinalizer(() => Effect.ignore(wipePrefix(prefix)))
        const a = yield* limiterFrom(Budgets.layerRedis(redisOptions, prefix))
        const b = yield* limiterFrom(Budgets.layerRedis(redisOptions, prefix))
        expect(yield* spend([a, b], "arxiv", 8)).toBe(3)
      })
    )

    it.scoped("in process (no REDIS_URL) the budget is per process", () =>
      Effect.gen(function* () {
        const a = yield* limiterFrom(Budgets.layerMemory)
        const b = yield* limiterFrom(Budgets.layerMemory)
        expect(yield* spend([a], "llm", 5)).toBe(3)
        expect(yield* spend([b], "llm", 5)).toBe(3)
      })
    )

    it.scoped("layerConfig picks Redis when REDIS_URL is set, memory otherwise, and names a bad REDIS_URL", () =>
      Effect.gen(function* () {
        const prefix = uniquePrefix("budgetcfg")
        yield* Effect.addFinalizer(() => Effect.ignore(wipePrefix(prefix)))
        const withRedis = (url: string) =>
          Budgets.layerConfig.pipe(
            Layer.provide(
              Layer.setConfigProvider(
                ConfigProvider.fromMap(
                  new Map([
                    ["REDIS_URL", url],
                    ["SCRIBE_REDIS_PREFIX", prefix]
                  ])
                )
              )
            )
          )
        const a = yield* limiterFrom(withRedis(redisUrl))
        const b = yield* limiterFrom(withRedis(redisUrl))
        expect(yield* spend([a, b], "search", 6)).toBe(3)
        const bad = yield* Effect.either(Layer.build(withRedis("http://nope")))
        expect(Either.isLeft(bad) && String(bad.left)).toContain("REDIS_URL")
      })
    )
  })
})
