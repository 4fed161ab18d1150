/**
 * Benchmark 3: `GET /api/queue/` and `GET /api/email/` with 100 000 rows in the tables and 100 active jobs for the
 * caller (`Seed.ts`), against the same SQL run bare (`pg` on Postgres, PGlite's own `query` on PGlite). Latency is
 * measured with one request at a time (p50/p99 over 4 s, after 3 s of warm-up: a new API process is still compiling
 * its hot paths in its first seconds, and a deployed one serves for hours), throughput with 16 at once (3 s); the API
 * from a load process of its own (`LoadProcess`), the bare SQL from this one.
 * The API runs alone in a process of its own (`bench/processes/api.ts`), as it would be deployed.
 */

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { PGlite } from "@electric-sql/pglite"
import * as Database from "@scribe/adapters/sql/Database"
import * as QueueListing from "@scribe/adapters/sql/QueueListing"
import { Effect, Layer } from "effect"
import Pg from "pg"
import { migrateWithApi, startApi } from "./ApiProcess"
import * as Fixtures from "./Fixtures"
import { type BenchContext, type BenchOutcome, type Row, round, type Summary, summarize, tempDatabase } from "./Harness"
import { closedLoop, httpClient } from "./Load"
import { closedLoopElsewhere } from "./LoadProcess"
import * as Seed from "./Seed"

interface Measured {
  readonly latency: Summary
  readonly throughput: number
  readonly errors: number
}

const measure = async (call: () => Promise<boolean>): Promise<Measured> => {
  const sequential = await closedLoop(call, { concurrency: 1, durationMs: 4000, warmupMs: 3000 })
  const parallel = await closedLoop(call, { concurrency: 16, durationMs: 3000, warmupMs: 500 })
  return {
    latency: summarize(sequential.latencies),
    throughput: parallel.throughput,
    errors: sequential.errors + parallel.errors
  }
}

const since = () => new Date(Date.now() - 24 * 3600 * 1000)

interface Endpoints {
  readonly queue: { readonly api: Measured; readonly bare: Measured }
  readonly emails: { readonly api: Measured; readonly bare: Measured }
}

/** `path` through the API process, as `measure` does, from a load process of its own (`LoadProcess`). */
const measureElsewhere = async (origin: string, path: string, token: string): Promise<Measured> => {
  const plan = { origin, paths: [path], tokens: [token], maxSockets: 16 }
  const sequential = await closedLoopElsewhere({ ...plan, concurrency: 1, durationMs: 4000, warmupMs: 3000 })
  const parallel = await closedLoopElsewhere({ ...plan, concurrency: 16, durationMs: 3000, warmupMs: 500 })
  return {
    latency: summarize(sequential.latencies),
    throughput: parallel.throughput,
    errors: sequential.errors + parallel.errors
  }
}

/** Measures both listings through the API process on `env`'s database. */
const measureApi = async (env: Record<string, string>) => {
  const api = await startApi(env, 120_000)
  const client = httpClient(api.origin, { maxSockets: 1 })
  try {
    const token = await Fixtures.tokenFor(Seed.caller)
    const check = await client.get("/api/queue/", token)
    const listed = JSON.parse(check.body) as Array<{ position: number | null }>
    if (check.status !== 200 || listed.length !== 100) {
      throw new Error(`GET /api/queue/ answered ${check.status} with ${listed.length} items`)
    }
    const queue = await measureElsewhere(api.origin, "/api/queue/", token)
    const emails = await measureElsewhere(api.origin, "/api/email/?limit=20&offset=0", token)
    return { queue, emails, positions: [listed[0]?.position ?? null, listed.at(-1)?.position ?? null] }
  } finally {
    client.close()
    await api.process.stop()
  }
}

const postgres = async (
  ctx: BenchContext
): Promise<Endpoints & { readonly positions: unknown; readonly queueBefore: Measured }> => {
  const database = await tempDatabase()
  try {
    // The API process migrates the new database; seed it once that is done, then restart the API on the seeded data.
    await migrateWithApi({ DATABASE_URL: database.url })
    const pool = new Pg.Pool({ connectionString: database.url, max: 10 })
    try {
      ctx.log(`listing: seeding ${Seed.defaultRows} rows on Postgres`)
      for (const statement of Seed.seedStatements(Seed.defaultRows)) await pool.query(statement)
      ctx.log("listing: bare SQL on Postgres")
      // Prepared under its name, as the API sends it (`QueueListing.listingStatement`).
      const statement = QueueListing.listingStatement("fair")
      const queueBare = await measure(
        async () =>
          (await pool.query({ name: statement.name, text: statement.text, values: [Seed.caller, since()] }))
            .rowCount === 100
      )
      const emailsBare = await measure(
        async () => (await pool.query(Seed.listEmailsSql, [Seed.caller, 20, 0])).rowCount === 20
      )
      const queueBefore = await measure(
        async () => (await pool.query(Seed.listQueueBeforeSql, [Seed.caller, since()])).rowCount === 100
      )
      ctx.log("listing: API on Postgres")
      const api = await measureApi({ DATABASE_URL: database.url })
      return {
        queue: { api: api.queue, bare: queueBare },
        emails: { api: api.emails, bare: emailsBare },
        positions: api.positions,
        queueBefore
      }
    } finally {
      await pool.end()
    }
  } finally {
    await database.drop()
  }
}

const pglite = async (ctx: BenchContext, rows: number): Promise<Endpoints & { readonly positions: unknown }> => {
  const dir = mkdtempSync(join(tmpdir(), "scribe-bench-pglite-"))
  try {
    ctx.log(`listing: seeding ${rows} rows on PGlite`)
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(Database.layerPglite(dir))
          const sql = yield* Effect.provide(SqlClient.SqlClient, context)
          for (const statement of Seed.seedStatements(rows)) yield* sql.unsafe(statement)
        })
      )
    )
    ctx.log("listing: bare SQL on PGlite")
    const db = new PGlite(dir)
    let queueBare: Measured
    let emailsBare: Measured
    try {
      queueBare = await measure(
        async () => (await db.query(Seed.listQueueSql, [Seed.caller, since()])).rows.length === 100
      )
      emailsBare = await measure(
        async () => (await db.query(Seed.listEmailsSql, [Seed.caller, 20, 0])).rows.length === 20
      )
    } finally {
      await db.close()
    }
    ctx.log("listing: API on PGlite")
    const api = await measureApi({ SCRIBE_DATA_DIR: dir })
    return {
      queue: { api: api.queue, bare: queueBare },
      emails: { api: api.emails, bare: emailsBare },
      positions: api.positions
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const rowsFor = (
  bench: string,
  store: string,
  endpoint: string,
  m: { api: Measured; bare: Measured },
  target?: boolean
) => {
  const rows: Array<Row> = [
    {
      bench,
      name: `${endpoint} p50 (${store})`,
      value: m.api.latency.p50,
      unit: "ms",
      baseline: { label: "bare SQL", value: m.bare.latency.p50 }
    },
    {
      bench,
      name: `${endpoint} p99 (${store})`,
      value: m.api.latency.p99,
      unit: "ms",
      baseline: { label: "bare SQL", value: m.bare.latency.p99 },
      ...(target === true
        ? {
            target: {
              text: "< 10 ms and ≤ 1.5× bare",
              met: m.api.latency.p99 < 10 && m.api.latency.p99 <= 1.5 * m.bare.latency.p99
            }
          }
        : {})
    },
    {
      bench,
      name: `${endpoint} throughput, 16 at once (${store})`,
      value: m.api.throughput,
      unit: "req/s",
      baseline: { label: "bare SQL", value: m.bare.throughput }
    }
  ]
  return rows
}

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.promise(async () => {
    const pg = await postgres(ctx)
    const lite = await pglite(ctx, Seed.defaultRows)
    const rows: Array<Row> = [
      ...rowsFor("listing", "Postgres", "GET /api/queue/", pg.queue, true),
      {
        bench: "listing",
        name: "queue listing SQL before tuning (every pending job ranked), bare p50 (Postgres)",
        value: pg.queueBefore.latency.p50,
        unit: "ms",
        baseline: { label: "tuned SQL", value: pg.queue.bare.latency.p50 }
      },
      ...rowsFor("listing", "Postgres", "GET /api/email/", pg.emails),
      ...rowsFor("listing", "PGlite", "GET /api/queue/", lite.queue),
      ...rowsFor("listing", "PGlite", "GET /api/email/", lite.emails)
    ]
    const detail = (m: Measured) => ({
      latencyMs: Object.fromEntries(Object.entries(m.latency).map(([k, v]) => [k, round(v, 3)])),
      throughput: round(m.throughput, 1),
      errors: m.errors
    })
    const side = (e: Endpoints & { readonly positions: unknown }) => ({
      queue: { api: detail(e.queue.api), bare: detail(e.queue.bare) },
      emails: { api: detail(e.emails.api), bare: detail(e.emails.bare) },
      callerPositions: e.positions
    })
    return {
      rows,
      details: {
        rows: Seed.defaultRows,
        postgres: { ...side(pg), queueBeforeTuningBare: detail(pg.queueBefore) },
        pglite: side(lite)
      }
    }
  })
