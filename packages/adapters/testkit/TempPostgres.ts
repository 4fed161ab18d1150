import { spawnSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Reactivity from "@effect/experimental/Reactivity"
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, type Scope } from "effect"
import * as Database from "../src/sql/Database"
import { findProgram, type Need, programs } from "./ServiceSuite"
import { adminUrl } from "./TestDatabase"

/** A fresh, uniquely named, empty database on the machine's Postgres; its URL. Dropped when the scope closes. */
export const tempDatabaseUrl: Effect.Effect<string, unknown, Scope.Scope> = Effect.gen(function* () {
  const name = `scribe_q_${randomUUID().replaceAll("-", "").slice(0, 16)}`
  const admin = yield* PgClient.make({ url: Redacted.make(adminUrl) })
  yield* Effect.acquireRelease(admin.unsafe(`CREATE DATABASE ${name}`), () =>
    admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.orDie)
  )
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}).pipe(Effect.provide(Reactivity.layer))

/** Postgres at `url`, migrated, as the service opens it (`Database.layerPg`: `PgClient`, `SqlClient`, prepared statements). */
export const layerPgClient = (url: string, options: { readonly maxConnections?: number } = {}) =>
  Database.layerPg(url, options)

/** A fresh migrated database for one suite, as `PgClient` and `SqlClient`; dropped when the layer's scope closes. */
export const layerTempPostgres = (options: { readonly maxConnections?: number } = {}) =>
  Layer.unwrapScoped(Effect.map(tempDatabaseUrl, (url) => layerPgClient(url, options))) as Layer.Layer<
    PgClient.PgClient | SqlClient.SqlClient,
    unknown
  >

/** A free TCP port on the loopback interface. */
export const freePort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** `pg_config --bindir`, when pg_config is there: Debian keeps the server programs off PATH, in that directory. */
const pgConfigBindir = (): ReadonlyArray<string> => {
  const result = spawnSync("pg_config", ["--bindir"], { encoding: "utf8", timeout: 10_000 })
  const dir = result.status === 0 ? result.stdout.trim() : ""
  return dir === "" ? [] : [dir]
}

const asRoot = process.getuid?.() === 0

let found: Record<string, string | undefined> | undefined

/**
 * The programs `ownPostgres` runs: initdb, pg_ctl and postgres from `SCRIBE_TEST_PG_BINDIR`, else from
 * `pg_config --bindir`, else from PATH; as root also runuser, to run them as the `postgres` user (initdb refuses root).
 */
const pgPrograms = (): Record<string, string | undefined> => {
  if (found !== undefined) return found
  const override = process.env.SCRIBE_TEST_PG_BINDIR
  const dirs = override === undefined ? pgConfigBindir() : []
  const find = (name: string) =>
    findProgram(name, override === undefined ? { dirs } : { override: join(override, name) })
  found = {
    initdb: find("initdb"),
    pg_ctl: find("pg_ctl"),
    postgres: find("postgres"),
    ...(asRoot ? { runuser: findProgram("runuser") } : {})
  }
  return found
}

const pgHint = "set SCRIBE_TEST_PG_BINDIR to their directory, or put pg_config or them on PATH"

/** What `ownPostgres` needs, for `describeNeeding`: the PostgreSQL server programs (see `pgPrograms`). */
export const ownPostgresNeed = (): Need => programs(pgPrograms(), pgHint)

/** Runs a Postgres server program, as the `postgres` OS user when this process is root. */
const pgTool = (tool: "initdb" | "pg_ctl", args: ReadonlyArray<string>) => {
  const programs = pgPrograms()
  const path = programs[tool]
  const runuser = programs.runuser
  if (path === undefined || (asRoot && runuser === undefined)) {
    throw new Error(`${asRoot && runuser === undefined ? "runuser" : tool} not found: ${pgHint}`)
  }
  const [command, argv] =
    asRoot && runuser !== undefined ? [runuser, ["-u", "postgres", "--", path, ...args]] : [path, [...args]]
  const result = spawnSync(command, argv, { encoding: "utf8", timeout: 60_000 })
  if (result.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed (${result.status}): ${result.stderr}${result.stdout}`)
  }
}

export interface OwnPostgres {
  readonly url: string
  readonly stop: Effect.Effect<void>
  readonly start: Effect.Effect<void>
}

/**
 * A throwaway Postgres server of this test's own (initdb in a temp dir, a free port), so a test can stop and restart
 * it without touching the machine's shared one. Removed when the scope closes.
 */
export const ownPostgres: Effect.Effect<OwnPostgres, unknown, Scope.Scope> = Effect.gen(function* () {
  const port = yield* freePort
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const d = mkdtempSync(join(tmpdir(), "scribe-pg-"))
      chmodSync(d, 0o777)
      return d
    }),
    (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
  )
  const data = join(dir, "data")
  yield* Effect.sync(() => pgTool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]))
  const start = Effect.sync(() =>
    pgTool("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
      "start"
    ])
  )
  const stop = Effect.sync(() => pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]))
  yield* Effect.acquireRelease(start, () =>
    Effect.sync(() => {
      try {
        pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
      } catch {
        // already stopped
      }
    })
  )
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, start, stop }
})
