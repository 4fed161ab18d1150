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

/** Postgres at `url` through node-postgres, migrated. */
export const layerPg = (
  url: Redacted.Redacted | string,
  options?: { readonly maxConnections?: number }
): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  Migrations.layer.pipe(
    Layer.provideMerge(
      PgClient.layer({
        url: typeof url === "string" ? Redacted.make(url) : url,
        ...(options?.maxConnections === undefined ? {} : { maxConnections: options.maxConnections })
      })
    )
  )

/**
 * The service's database: Postgres when `DATABASE_URL` is set, otherwise PGlite in `SCRIBE_DATA_DIR` (default
 * `.scribe/`; `memory` keeps it in memory). Migrated at startup.
 */
export const layerConfig: Layer.Layer<SqlClient.SqlClient, DatabaseError | ConfigError.ConfigError> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const url = yield* Config.option(Config.redacted("DATABASE_URL"))
      const nonBlank = Option.filter(url, (u) => Redacted.value(u).trim().length > 0)
      if (Option.isSome(nonBlank)) return layerPg(nonBlank.value)
      const dataDir = yield* Config.string("SCRIBE_DATA_DIR").pipe(Config.withDefault(".scribe/"))
      return layerPglite(dataDir.trim() === "" ? ".scribe/" : dataDir.trim())
    })
  )
