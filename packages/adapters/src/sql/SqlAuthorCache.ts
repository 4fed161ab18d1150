import { SqlClient, SqlSchema } from "@effect/sql"
import { AuthorCache } from "@scribe/core/upstream/AuthorCache"
import { Clock, Config, type ConfigError, Duration, Effect, Layer, Schema } from "effect"

/**
 * The author cache in the `author_cache` table (migration 0012) on any Postgres `SqlClient`: entries younger than
 * `ttl` are read, a write replaces an entry, and expired rows are deleted at most once an hour. A database that fails
 * is logged and the lookup goes to the sources, as a miss would.
 */

export const defaultTtl = Duration.hours(168)

const Row = Schema.Struct({ key: Schema.String, value: Schema.String })

export const make = (ttl: Duration.DurationInput) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const ttlMs = Duration.toMillis(ttl)
    const cutoff = Effect.map(Clock.currentTimeMillis, (now) => new Date(now - ttlMs))
    const find = SqlSchema.findAll({
      Request: Schema.Struct({ keys: Schema.Array(Schema.String), since: Schema.DateFromSelf }),
      Result: Row,
      execute: ({ keys, since }) =>
        sql`SELECT key, value FROM author_cache WHERE key IN ${sql.in(keys)} AND stored_at > ${since}`
    })
    let purgedAt = 0

    const get = (keys: ReadonlyArray<string>) =>
      ttlMs <= 0 || keys.length === 0
        ? Effect.succeed(new Map<string, string>())
        : Effect.flatMap(cutoff, (since) => find({ keys: [...new Set(keys)], since })).pipe(
            Effect.map((rows) => new Map(rows.map((r) => [r.key, r.value] as const))),
            Effect.catchAll((error) =>
              Effect.logWarning("AuthorCache: could not read the cache; asking the sources", error).pipe(
                Effect.as(new Map<string, string>())
              )
            ),
            Effect.withSpan("AuthorCache.get", { attributes: { keys: keys.length } })
          )

    const put = (entries: ReadonlyArray<{ readonly key: string; readonly value: string }>) =>
      Effect.gen(function* () {
        if (ttlMs <= 0 || entries.length === 0) return
        const now = yield* Clock.currentTimeMillis
        const rows = [...new Map(entries.map((e) => [e.key, e.value])).entries()].map(([key, value]) => ({
          key,
          value,
          stored_at: new Date(now)
        }))
        yield* sql`
          INSERT INTO author_cache ${sql.insert(rows)}
          ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, stored_at = EXCLUDED.stored_at`
        if (now - purgedAt >= 3_600_000) {
          purgedAt = now
          yield* sql`DELETE FROM author_cache WHERE stored_at <= ${new Date(now - ttlMs)}`
        }
      }).pipe(
        Effect.catchAll((error) => Effect.logWarning("AuthorCache: could not write the cache", error)),
        Effect.withSpan("AuthorCache.put", { attributes: { entries: entries.length } })
      )

    return AuthorCache.of({ get, put })
  })

export const layer = (ttl: Duration.DurationInput = defaultTtl): Layer.Layer<AuthorCache, never, SqlClient.SqlClient> =>
  Layer.effect(AuthorCache, make(ttl))

/** `SCRIBE_AUTHOR_CACHE_TTL_HOURS` (default 168, a week; 0 turns the cache off). */
export const layerConfig: Layer.Layer<AuthorCache, ConfigError.ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
  Effect.map(
    Config.number("SCRIBE_AUTHOR_CACHE_TTL_HOURS").pipe(
      Config.withDefault(168),
      Config.validate({
        message: "SCRIBE_AUTHOR_CACHE_TTL_HOURS must be a number of hours between 0 and 87600",
        validation: (n) => Number.isFinite(n) && n >= 0 && n <= 87_600
      })
    ),
    (hours) => layer(Duration.hours(hours))
  )
)
