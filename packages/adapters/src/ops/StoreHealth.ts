import { SqlClient } from "@effect/sql"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Effect, Layer, Option } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import * as RedisConfig from "./RedisConfig"

/** A check that answered within two seconds; a failure is logged and reported as `false`, never raised. */
const within2s = (name: string, check: Effect.Effect<unknown, unknown>) =>
  check.pipe(
    Effect.timeout("2 seconds"),
    Effect.as(true),
    Effect.catchAllCause((cause) => Effect.logWarning(`${name} health check failed`, cause).pipe(Effect.as(false)))
  )

/** Health of the stores: `SELECT 1` on the database and, when given, `PING` on Redis (on its own connection). */
export const make = (redis: Option.Option<RedisOptions>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const database = within2s("database", sql`SELECT 1`)
    const ping = yield* Option.match(redis, {
      onNone: () => Effect.succeed(Option.none<Effect.Effect<boolean>>()),
      onSome: (options) =>
        Effect.map(
          Effect.acquireRelease(
            Effect.sync(
              () => new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 })
            ),
            (client) => Effect.sync(() => client.disconnect())
          ),
          (client) => {
            client.on("error", () => {}) // reported by the check itself
            return Option.some(
              within2s(
                "redis",
                Effect.tryPromise(async () => {
                  if (client.status === "wait" || client.status === "end") await client.connect()
                  return client.ping()
                })
              )
            )
          }
        )
    })
    return HealthProbe.of({
      check: Effect.all({ database, redis: Effect.transposeOption(ping) }, { concurrency: "unbounded" }).pipe(
        Effect.withSpan("StoreHealth.check")
      )
    })
  })

/** The database only. */
export const layer = Layer.scoped(HealthProbe, make(Option.none()))

/** The database, and Redis when `REDIS_URL` is set. */
export const layerConfig = Layer.scoped(HealthProbe, Effect.flatMap(RedisConfig.redisUrl, make))
