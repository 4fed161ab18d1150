import { existsSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as Database from "../src/sql/Database"

const root = await mkdtemp(join(tmpdir(), "scribe-db-"))
afterAll(() => rm(root, { recursive: true, force: true }))

describe("Database", () => {
  it.live("layerConfig without DATABASE_URL opens PGlite in SCRIBE_DATA_DIR, creating it, migrated", () =>
    Effect.gen(function* () {
      const dataDir = join(root, "nested", "data")
      const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SCRIBE_DATA_DIR", dataDir]])))
      const layer = Database.layerConfig.pipe(Layer.provide(config))
      const closed = yield* Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`INSERT INTO users (id, email, created_at) VALUES ('u1', NULL, ${new Date(0)})`
          expect(yield* sql`SELECT migration_id, name FROM effect_sql_migrations ORDER BY migration_id`).toEqual([
            { migration_id: 1, name: "initial" },
            { migration_id: 2, name: "job_dispatch" },
            { migration_id: 3, name: "idempotency_keys" },
            { migration_id: 4, name: "trace_context" },
            { migration_id: 6, name: "usage" },
            { migration_id: 7, name: "queue_line" },
            { migration_id: 8, name: "profiles" },
            { migration_id: 9, name: "resume_templates" },
            { migration_id: 10, name: "admin_indexes" },
            { migration_id: 11, name: "fair_queue" },
            { migration_id: 12, name: "author_cache" },
            { migration_id: 13, name: "admin_speed" },
            { migration_id: 14, name: "worker_heartbeats" },
            { migration_id: 15, name: "queue_weights" }
          ])
          return sql
        }).pipe(Effect.provide(layer))
      )
      expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true)
      // The scope closed PGlite.
      expect((yield* Effect.flip(closed`SELECT 1`))._tag).toBe("SqlError")

      // Reopened: the data is there and no migration runs twice.
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        expect(yield* sql`SELECT id FROM users`).toEqual([{ id: "u1" }])
        expect(yield* sql`SELECT count(*)::int AS n FROM effect_sql_migrations`).toEqual([{ n: 14 }])
      }).pipe(Effect.provide(Database.layerPglite(dataDir)))
    })
  )
})
