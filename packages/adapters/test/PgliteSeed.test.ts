import { existsSync, readFileSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { PGlite } from "@electric-sql/pglite"
import { Effect } from "effect"
import * as PgliteClient from "../src/sql/PgliteClient"

const root = await mkdtemp(join(tmpdir(), "scribe-seed-"))
afterAll(() => rm(root, { recursive: true, force: true }))

/**
 * A seed that tells itself apart from initdb's output: plain PGlite's data directory (its postgresql.conf as initdb
 * wrote it, shared_buffers 128 MB) with one table more. Made once for the file (initdb costs seconds).
 */
const markedSeed = Effect.promise(async () => {
  const file = join(root, "marked.tgz")
  if (existsSync(file)) return file
  const db = await PGlite.create()
  await db.exec("CREATE TABLE seed_marker (v text); INSERT INTO seed_marker VALUES ('from the seed')")
  await writeFile(file, new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer()))
  await db.close()
  return file
})

const marker = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ table: string | null }>`SELECT to_regclass('seed_marker')::text AS table`
  return row?.table === null ? "no marker" : (yield* sql<{ v: string }>`SELECT v FROM seed_marker`)[0]?.v
})

const within =
  (options: PgliteClient.Options) =>
  <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
    Effect.scoped(Effect.provide(effect, PgliteClient.layer(options)))

describe("PgliteClient's seed", { timeout: 240_000 }, () => {
  it.live("makeSeed is a gzipped tarball of a fresh data directory, which opens", () =>
    Effect.gen(function* () {
      const seed = join(root, "made.tgz")
      const bytes = yield* PgliteClient.makeSeed
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b])
      expect(bytes.length).toBeLessThan(16 * 2 ** 20)
      yield* Effect.promise(() => writeFile(seed, bytes))
      expect(yield* within({ dataDir: join(root, "made"), seed })(marker)).toBe("no marker")
      expect(readFileSync(join(root, "made", "PG_VERSION"), "utf8").trim()).toMatch(/^\d+$/)
    })
  )

  it.live("a new data directory starts from the seed; an existing one never does", () =>
    Effect.gen(function* () {
      const seed = yield* markedSeed
      const dataDir = join(root, "from-seed")
      expect(yield* within({ dataDir, seed })(marker)).toBe("from the seed")
      expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true)

      // Reopened with the seed again: the database is the one written before, not a new copy.
      yield* within({ dataDir, seed })(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE seed_marker SET v = 'written here'`)
      )
      expect(yield* within({ dataDir, seed })(marker)).toBe("written here")
    })
  )

  it.live("in memory, the seed is loaded too", () =>
    Effect.gen(function* () {
      expect(yield* within({ dataDir: "memory", seed: yield* markedSeed })(marker)).toBe("from the seed")
    })
  )

  it.live("without a seed (null, or a file that is not there) initdb makes the database", () =>
    Effect.gen(function* () {
      expect(yield* within({ dataDir: join(root, "no-seed"), seed: join(root, "missing.tgz") })(marker)).toBe(
        "no marker"
      )
      expect(yield* within({ dataDir: "memory", seed: null })(marker)).toBe("no marker")
    })
  )

  it.live("Postgres runs with a 16 MB buffer pool, whatever the data directory's postgresql.conf says", () =>
    Effect.gen(function* () {
      const seed = yield* markedSeed
      const show = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ shared_buffers: string }>`SHOW shared_buffers`)
      expect(yield* within({ dataDir: "memory", seed })(show)).toEqual([{ shared_buffers: "16MB" }])
    })
  )
})
