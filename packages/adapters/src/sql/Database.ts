import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient, SqlError } from "@effect/sql"
import type { MigrationError } from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { Config, type ConfigError, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import Pg from "pg"
import * as Migrations from "./Migrations"
import * as PgTimestamps from "./PgTimestamps"
import * as PreparedStatements from "./PreparedStatements"

export type DatabaseError = SqlError.SqlError | MigrationError

/**
 * PGlite in `dataDir` (created if missing, from the bundle's seed when there is one — see `PgliteClient.Options.seed`;
 * `"memory"` keeps it in memory), migrated. PGlite (its JavaScript and its WebAssembly) is imported only when this
 * layer is built, so a process on Postgres never loads it.
 */
export const layerPglite = (dataDir: string): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  Migrations.layer.pipe(
    Layer.provideMerge(
      Layer.unwrapEffect(
        Effect.map(
          Effect.promise(() => import("./PgliteClient")),
          (Pglite) => Pglite.layer({ dataDir })
        )
      )
    )
  )

const connectTimeout = Duration.seconds(5)

/**
 * One node-postgres pool for `@effect/sql-pg`'s client and for the prepared statements: opened with a first query
 * (within 5 s) so a wrong URL fails at startup, ended with the scope. Timestamps are read by `PgTimestamps`.
 */
const pgPool = (url: Redacted.Redacted, maxConnections: number | undefined) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const pool = new Pg.Pool({
        connectionString: Redacted.value(url),
        connectionTimeoutMillis: Duration.toMillis(connectTimeout),
        application_name: "scribe",
        types: PgTimestamps.types,
        ...(maxConnections === undefined ? {} : { max: maxConnections })
      })
      // An idle connection's error (a database restart) is the next query's to report.
      pool.on("error", () => {})
      yield* Effect.tryPromise({
        try: () => pool.query("SELECT 1"),
        catch: (cause) => new SqlError.SqlError({ cause, message: "PgClient: Failed to connect" })
      }).pipe(
        Effect.timeoutFail({
          duration: connectTimeout,
          onTimeout: () =>
            new SqlError.SqlError({
              cause: new Error("Connection timed out"),
              message: "PgClient: Connection timed out"
            })
        }),
        Effect.tapError(() => Effect.promise(() => pool.end()))
      )
      return pool
    }),
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption(1000))
  )

/** Postgres at `url` through node-postgres, migrated; its `PgClient` too (for LISTEN), and `PreparedStatements`. */
export const layerPg = (
  url: Redacted.Redacted | string,
  options?: { readonly maxConnections?: number }
): Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | PreparedStatements.PreparedStatements, DatabaseError> =>
  Migrations.layer.pipe(
    Layer.provideMerge(
      Layer.scopedContext(
        Effect.gen(function* () {
          const pool = yield* pgPool(typeof url === "string" ? Redacted.make(url) : url, options?.maxConnections)
          const client = yield* PgClient.fromPool({ acquire: Effect.succeed(pool), applicationName: "scribe" })
          return Context.make(PgClient.PgClient, client).pipe(
            Context.add(SqlClient.SqlClient, client),
            Context.add(PreparedStatements.PreparedStatements, PreparedStatements.fromPool(pool))
          )
        })
      ).pipe(Layer.provide(Reactivity.layer))
    )
  )

/** Where the service's data lives. */
export type Location =
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted }
  | { readonly _tag: "Pglite"; readonly dataDir: string }

/** `DATABASE_URL` (non-blank) → Postgres; otherwise PGlite in `SCRIBE_DATA_DIR` (default `.scribe/`). */
export const location: Effect.Effect<Location, ConfigError.ConfigError> = Effect.gen(function* () {
  const url = Option.filter(
    yield* Config.option(Config.redacted("DATABASE_URL")),
    (u) => Redacted.value(u).trim().length > 0
  )
  if (Option.isSome(url)) return { _tag: "Postgres", url: url.value }
  const dataDir = (yield* Config.string("SCRIBE_DATA_DIR").pipe(Config.withDefault(".scribe/"))).trim()
  return { _tag: "Pglite", dataDir: dataDir === "" ? ".scribe/" : dataDir }
})

/** The database at `at`, migrated. */
export const layerAt = (at: Location): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  at._tag === "Postgres" ? layerPg(at.url) : layerPglite(at.dataDir)

/**
 * The service's database where the environment says (`location`): Postgres when `DATABASE_URL` is set, otherwise
 * PGlite in `SCRIBE_DATA_DIR` (`memory` keeps it in memory). Migrated at startup.
 */
export const layerConfig: Layer.Layer<SqlClient.SqlClient, DatabaseError | ConfigError.ConfigError> =
  Layer.unwrapEffect(Effect.map(location, layerAt))
