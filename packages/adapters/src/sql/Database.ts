import type { SqlClient, SqlError } from "@effect/sql"
import type { MigrationError } from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { Config, type ConfigError, Effect, Layer, Option, Redacted } from "effect"
import * as Migrations from "./Migrations"

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

/** Postgres at `url` through node-postgres, migrated; its `PgClient` too (for LISTEN). */
export const layerPg = (
  url: Redacted.Redacted | string,
  options?: { readonly maxConnections?: number }
): Layer.Layer<SqlClient.SqlClient | PgClient.PgClient, DatabaseError> =>
  Migrations.layer.pipe(
    Layer.provideMerge(
      PgClient.layer({
        url: typeof url === "string" ? Redacted.make(url) : url,
        ...(options?.maxConnections === undefined ? {} : { maxConnections: options.maxConnections })
      })
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
