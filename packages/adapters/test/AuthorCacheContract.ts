import { describe, expect, layer } from "@effect/vitest"
import type { AuthorCache } from "@scribe/core/upstream/AuthorCache"
import { type Context, Duration, Effect, type Layer, TestClock } from "effect"

export type AuthorCacheService = Context.Tag.Service<AuthorCache>

export interface ContractOptions<R, E> {
  /** Built once for the suite; `fresh(ttl)` gives an empty cache with that time to live. */
  readonly layer: Layer.Layer<R, E>
  readonly fresh: (ttl: Duration.DurationInput) => Effect.Effect<AuthorCacheService, unknown, R>
}

/** What every `AuthorCache` does, on Effect's clock (entries age with `TestClock`). */
export const authorCacheContract = <R, E>(name: string, options: ContractOptions<R, E>) =>
  layer(options.layer)(name, (it) => {
    const week = Duration.days(7)

    it.effect("answers what was put, misses the rest, and a later put replaces an entry", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2026-11-22T10:00:00Z"))
        const cache = yield* options.fresh(week)
        expect(yield* cache.get(["openalex:(ada AND lovelace)"])).toEqual(new Map())
        yield* cache.put([
          { key: "openalex:(ada AND lovelace)", value: '[{"id":"A1"}]' },
          { key: "arxiv:ada lovelace", value: "[]" }
        ])
        yield* cache.put([{ key: "openalex:(ada AND lovelace)", value: '[{"id":"A2"}]' }])
        expect(
          yield* cache.get(["openalex:(ada AND lovelace)", "arxiv:ada lovelace", "arxiv:nobody", "arxiv:ada lovelace"])
        ).toEqual(
          new Map([
            ["openalex:(ada AND lovelace)", '[{"id":"A2"}]'],
            ["arxiv:ada lovelace", "[]"]
          ])
        )
        expect(yield* cache.get([])).toEqual(new Map())
      })
    )

    it.effect("does not answer with entries older than its time to live; writing again renews one", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2026-11-22T10:00:00Z"))
        const cache = yield* options.fresh(week)
        yield* cache.put([
          { key: "a", value: "1" },
          { key: "b", value: "2" }
        ])
        yield* TestClock.adjust(Duration.days(6))
        yield* cache.put([{ key: "b", value: "3" }])
        expect([...(yield* cache.get(["a", "b"])).keys()].sort()).toEqual(["a", "b"])
        yield* TestClock.adjust(Duration.days(2))
        expect(yield* cache.get(["a", "b"])).toEqual(new Map([["b", "3"]]))
      })
    )

    describe("with no time to live", () => {
      it.effect("keeps nothing", () =>
        Effect.gen(function* () {
          const cache = yield* options.fresh(0)
          yield* cache.put([{ key: "a", value: "1" }])
          expect(yield* cache.get(["a"])).toEqual(new Map())
        })
      )
    })
  })
