import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import * as Database from "@scribe/adapters/sql/Database"
import { ConfigProvider, Effect, Layer } from "effect"

const root = mkdtempSync(join(tmpdir(), "scribe-datadir-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Every path under `dir` (itself included) whose mode lets anyone but the owner in. */
const openToOthers = (dir: string): Array<string> => {
  const found: Array<string> = []
  const visit = (path: string) => {
    const stat = statSync(path)
    const expected = stat.isDirectory() ? 0o700 : 0o600
    if ((stat.mode & 0o777) !== expected) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`)
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name))
  }
  visit(dir)
  return found
}

describe("the embedded data directory", () => {
  it.live(
    "is owner-only (0700/0600) with everything in it, also when an older start left it open, and stays so",
    () =>
      Effect.gen(function* () {
        // As an older version left it: world-writable directories and files.
        const dataDir = join(root, "data")
        mkdirSync(join(dataDir, "leftover"), { recursive: true })
        writeFileSync(join(dataDir, "leftover", "notes"), "old")
        chmodSync(join(dataDir, "leftover", "notes"), 0o666)
        chmodSync(join(dataDir, "leftover"), 0o777)
        chmodSync(dataDir, 0o777)
        const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SCRIBE_DATA_DIR", dataDir]])))

        yield* Effect.scoped(
          Effect.gen(function* () {
            expect(openToOthers(dataDir)).toEqual([])
            // New relations are new files, written by PGlite itself.
            const sql = yield* SqlClient.SqlClient
            yield* sql`CREATE TABLE scratch (v text)`
            yield* sql`INSERT INTO scratch VALUES ('x')`
          }).pipe(Effect.provide(Database.layerConfig.pipe(Layer.provide(config))))
        )
        expect(openToOthers(dataDir)).toEqual([])

        // The dev secret kept beside the data is owner-only too.
        yield* Effect.scoped(Layer.build(SupabaseAuth.layerConfig.pipe(Layer.provide(config))))
        expect(statSync(join(dataDir, "dev-jwt-secret")).mode & 0o777).toBe(0o600)

        // A directory the service creates itself starts owner-only.
        const fresh = join(root, "fresh", "data")
        yield* Effect.scoped(
          Layer.build(
            SupabaseAuth.layerConfig.pipe(
              Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SCRIBE_DATA_DIR", fresh]]))))
            )
          )
        )
        expect(statSync(fresh).mode & 0o777).toBe(0o700)
      }),
    120_000
  )
})
