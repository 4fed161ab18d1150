import { Clock, Duration, Effect, Layer, Ref } from "effect"
import { AuthorCache } from "../upstream/AuthorCache"

/**
 * An in-memory author cache for unit tests, on Effect's `Clock` (so `TestClock` ages its entries). The service's own
 * is `@scribe/adapters/sql/SqlAuthorCache` (a table beside the jobs). `entries` shows what it holds.
 */
export const make = (ttl: Duration.DurationInput = Duration.days(7)) =>
  Effect.gen(function* () {
    const ttlMs = Duration.toMillis(ttl)
    const store = yield* Ref.make<ReadonlyMap<string, { readonly value: string; readonly at: number }>>(new Map())
    const cache = AuthorCache.of({
      get: (keys) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const all = yield* Ref.get(store)
          const found = new Map<string, string>()
          for (const key of keys) {
            const entry = all.get(key)
            if (entry !== undefined && now - entry.at < ttlMs) found.set(key, entry.value)
          }
          return found
        }),
      put: (entries) =>
        ttlMs <= 0
          ? Effect.void
          : Effect.flatMap(Clock.currentTimeMillis, (at) =>
              Ref.update(store, (all) => {
                const next = new Map(all)
                for (const { key, value } of entries) next.set(key, { value, at })
                return next
              })
            )
    })
    return { cache, layer: Layer.succeed(AuthorCache, cache), entries: Ref.get(store) }
  })
