import { describe, expect, it } from "@effect/vitest"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Effect, Layer, Option } from "effect"
import * as StoreHealth from "../src/ops/StoreHealth"
import * as Database from "../src/sql/Database"
import { describeOwnRedis, ownRedis } from "../testkit/TestRedis"

const check = (redis: Parameters<typeof StoreHealth.make>[0]) =>
  Effect.flatMap(HealthProbe, (probe) => probe.check).pipe(
    Effect.provide(
      Layer.scoped(HealthProbe, StoreHealth.make(redis)).pipe(Layer.provide(Database.layerPglite("memory")))
    )
  )

await describeOwnRedis("StoreHealth", () =>
  describe("StoreHealth", () => {
    it.live(
      "reports the database, and Redis when configured: up, then down, then up again",
      () =>
        Effect.scoped(
          Effect.gen(function* () {
            expect(yield* check(Option.none())).toEqual({ database: true, redis: Option.none() })
            const redis = yield* ownRedis
            const probe = yield* Layer.build(
              Layer.scoped(HealthProbe, StoreHealth.make(Option.some(redis.options))).pipe(
                Layer.provide(Database.layerPglite("memory"))
              )
            )
            const health = () => Effect.flatMap(HealthProbe, (p) => p.check).pipe(Effect.provide(probe))
            expect(yield* health()).toEqual({ database: true, redis: Option.some(true) })
            yield* redis.stop
            expect(yield* health()).toEqual({ database: true, redis: Option.some(false) })
            yield* redis.start
            expect(yield* health()).toEqual({ database: true, redis: Option.some(true) })
          })
        ),
      60_000
    )
  })
)
