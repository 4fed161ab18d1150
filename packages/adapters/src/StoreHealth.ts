import { SqlClient } from "@effect/sql"
import { HealthProbe } from "@scribe/core/HealthProbe"
import { Effect, Layer, Option } from "effect"

/** Health of the SQL store: `SELECT 1` answered within two seconds. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const database = sql`SELECT 1`.pipe(
    Effect.timeout("2 seconds"),
    Effect.as(true),
    Effect.catchAllCause((cause) => Effect.logWarning("database health check failed", cause).pipe(Effect.as(false)))
  )
  return HealthProbe.of({
    check: Effect.map(database, (ok) => ({ database: ok, redis: Option.none() })).pipe(
      Effect.withSpan("StoreHealth.check")
    )
  })
})

export const layer = Layer.effect(HealthProbe, make)
