import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, layer } from "@effect/vitest"
import type { AuthUser } from "@scribe/core/auth/AuthUser"
import type { JobId } from "@scribe/core/Ids"
import { Repo } from "@scribe/core/store/Repo"
import { Effect, Layer, Option, Redacted, Runtime } from "effect"
import * as fc from "fast-check"
import * as Database from "../src/sql/Database"
import * as JobLeases from "../src/sql/JobLeases"
import * as Migrations from "../src/sql/Migrations"
import * as SqlRepo from "../src/sql/SqlRepo"
import { freshUser, newJob, recipients } from "../testkit/Jobs"
import { layerTempPostgres, tempDatabaseUrl } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"

/**
 * Queue positions read from the kept per-stretch counts (`queue_line_counts`, migration 0007) must equal a plain
 * ranking of every pending job by `seq`, whatever happened to the line: jobs entering it (inserts, retries put back),
 * leaving it (claims, cancels), failing while processing, the table truncated, and jobs spread over many stretches of
 * 256 `seq` values (the identity is moved forward between inserts to land on stretch boundaries).
 */

type Op =
  | { readonly _tag: "insert"; readonly user: number; readonly count: number; readonly skip: number }
  | { readonly _tag: "claim" }
  | { readonly _tag: "release"; readonly pick: number }
  | { readonly _tag: "fail"; readonly pick: number }
  | { readonly _tag: "cancel"; readonly pick: number }
  | { readonly _tag: "truncate" }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("insert" as const),
      user: fc.nat(2),
      count: fc.integer({ min: 1, max: 6 }),
      // 0: right after the last job; 254–257: across a stretch boundary; 600: a stretch or two left empty.
      skip: fc.constantFrom(0, 0, 1, 254, 255, 256, 257, 600)
    })
  },
  { weight: 3, arbitrary: fc.constant({ _tag: "claim" as const }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("fail" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "truncate" as const }) }
)

const now = new Date("2026-11-22T10:00:00.000Z")
const leaseUntil = new Date(now.getTime() + 60_000)

const run = (ops: ReadonlyArray<Op>, order: JobLeases.QueueOrder) =>
  Effect.gen(function* () {
    const repo = yield* Repo
    const leases = yield* JobLeases.JobLeases
    const sql = yield* SqlClient.SqlClient
    yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users`
    const users: ReadonlyArray<AuthUser> = [freshUser("line-a"), freshUser("line-b"), freshUser("line-c")]
    for (const user of users) yield* repo.upsertUser(user, now)
    const processing: Array<JobId> = []
    const pending = () =>
      sql<{ id: JobId; user_id: string }>`SELECT id, user_id FROM queue_items WHERE status = 'pending' ORDER BY seq`
    for (const step of ops) {
      switch (step._tag) {
        case "insert": {
          if (step.skip > 0) {
            const [last] = yield* sql<{ next: number | string }>`
              SELECT coalesce(max(seq), 0) + ${step.skip} AS next FROM queue_items`
            yield* sql.unsafe(`ALTER TABLE queue_items ALTER COLUMN seq RESTART WITH ${Number(last?.next ?? 1)}`)
          }
          const owner = users[step.user]!
          yield* repo.insertJobs(recipients(step.count).map((name) => newJob(owner, now, name)))
          break
        }
        case "claim": {
          const claimed = yield* leases.claimNext({ workerId: "w", now, leaseUntil })
          if (Option.isSome(claimed)) processing.push(claimed.value.id)
          break
        }
        case "release":
        case "fail": {
          if (processing.length === 0) break
          const [jobId] = processing.splice(step.pick % processing.length, 1)
          const lease = { jobId: jobId!, workerId: "w" }
          const failure = { message: "upstream down", type: "UpstreamUnavailable", failedStep: null }
          const done =
            step._tag === "release"
              ? yield* leases.release(lease, { availableAt: now, lastError: failure })
              : yield* leases.fail(lease, { ...failure, stepTimings: {}, now })
          expect(done).toBe(true)
          break
        }
        case "cancel": {
          const line = yield* pending()
          const job = line[step.pick % Math.max(line.length, 1)]
          if (job === undefined) break
          const owner = users.find((u) => u.id === job.user_id)!
          expect((yield* repo.cancelPending(owner.id, job.id))._tag).toBe("Cancelled")
          break
        }
        case "truncate":
          yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users`
          for (const user of users) yield* repo.upsertUser(user, now)
          processing.length = 0
          break
      }
    }

    // Every user's listing against the line: a plain ranking by seq (fifo), or the order in which claims then take
    // the jobs (fair).
    const line = yield* pending()
    const listings = new Map<string, ReadonlyArray<{ readonly id: string; readonly position: number | null }>>()
    for (const user of users) {
      const listed = yield* repo.listQueue(user.id, new Date(0))
      listings.set(
        user.id,
        listed.map((e) => ({ id: e.job.id, position: e.position }))
      )
      expect(listed.filter((e) => e.job.status === "pending")).toHaveLength(
        line.filter((j) => j.user_id === user.id).length
      )
    }
    const keptUsers = yield* sql<{ user_id: string; pending: number }>`
      SELECT user_id, pending FROM queue_users WHERE pending > 0 ORDER BY user_id`
    const perUser = yield* sql<{ user_id: string; pending: number | string }>`
      SELECT user_id, count(*) AS pending FROM queue_items WHERE status = 'pending' GROUP BY user_id ORDER BY user_id`
    expect(keptUsers.map((r) => [r.user_id, Number(r.pending)])).toEqual(
      perUser.map((r) => [r.user_id, Number(r.pending)])
    )
    const taken: Array<string> = []
    if (order === "fair") {
      for (;;) {
        const claimed = yield* leases.claimNext({ workerId: "drain", now, leaseUntil })
        if (Option.isNone(claimed)) break
        taken.push(claimed.value.id)
      }
      expect(taken).toHaveLength(line.length)
    }
    const expected = new Map(
      (order === "fair" ? taken : line.map((j) => j.id as string)).map((id, i) => [id, i + 1] as const)
    )
    for (const listed of listings.values()) {
      for (const entry of listed) {
        expect([entry.id, entry.position]).toEqual([entry.id, expected.get(entry.id) ?? null])
      }
    }
    if (order === "fair") return
    // The kept counts are exact, and no empty stretch is left behind.
    const kept = yield* sql<{ stretch: number | string; pending: number }>`
      SELECT stretch, pending FROM queue_line_counts ORDER BY stretch`
    const counted = yield* sql<{ stretch: number | string; pending: number | string }>`
      SELECT seq / 256 AS stretch, count(*) AS pending FROM queue_items WHERE status = 'pending'
      GROUP BY seq / 256 ORDER BY seq / 256`
    const numbers = (rows: ReadonlyArray<{ stretch: number | string; pending: number | string }>) =>
      rows.map((r) => [Number(r.stretch), Number(r.pending)])
    expect(numbers(kept)).toEqual(numbers(counted))
  })

/** The Repo, and the job leases that claim, release and fail jobs as the queue does, in `order`. */
const storesIn = (order: JobLeases.QueueOrder) => Layer.merge(SqlRepo.layerWith(order), JobLeases.layerWith(order))

const suite = (
  name: string,
  store: Layer.Layer<SqlClient.SqlClient, unknown>,
  numRuns: number,
  order: JobLeases.QueueOrder = "fifo"
) =>
  layer(Layer.provideMerge(storesIn(order), store), { timeout: 120_000 })(name, (it) => {
    it.effect(
      order === "fifo"
        ? "positions from the kept counts equal a ranking of every pending job, after any sequence of changes"
        : "fair positions equal the order in which claims then take the jobs, after any sequence of changes",
      () =>
        Effect.gen(function* () {
          const runtime = yield* Effect.runtime<Repo | JobLeases.JobLeases | SqlClient.SqlClient>()
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) =>
                Runtime.runPromise(runtime)(run(ops, order))
              ),
              { numRuns }
            )
          )
        }),
      120_000
    )
  })

describe("queue line counts", () => {
  suite("queue line counts (PGlite)", Database.layerPglite("memory"), 40)
  suite("fair positions (PGlite)", Database.layerPglite("memory"), 40, "fair")
})

await describePostgres("queue line counts (Postgres)", () => {
  suite("queue line counts (Postgres)", layerTempPostgres(), 60)
  suite("fair positions (Postgres)", layerTempPostgres(), 60, "fair")

  // A database migrated before 0007, with a line already waiting, then brought up to date.
  const before0007 = Migrator.make({})({
    loader: Effect.map(Migrations.loader, (all) => all.filter(([id]) => id < 7))
  })
  // Up to 0007 only: later migrations have nothing to do with the line.
  const through0007 = Migrator.make({})({
    loader: Effect.map(Migrations.loader, (all) => all.filter(([id]) => id <= 7))
  })
  layer(
    Layer.unwrapScoped(
      // Migrated only up to 0007 here; the Repo inserts and lists in submission order, which need nothing later.
      Effect.map(tempDatabaseUrl, (url) =>
        Layer.provideMerge(storesIn("fifo"), PgClient.layer({ url: Redacted.make(url) }))
      )
    ),
    { timeout: 60_000 }
  )("migration 0007", (it) => {
    it.effect("counts the jobs already waiting when it runs", () =>
      Effect.gen(function* () {
        const repo = yield* Repo
        const sql = yield* SqlClient.SqlClient
        yield* before0007
        const owner = freshUser("early")
        yield* repo.upsertUser(owner, now)
        yield* sql.unsafe("ALTER TABLE queue_items ALTER COLUMN seq RESTART WITH 250")
        const jobs = yield* repo.insertJobs(recipients(10).map((name) => newJob(owner, now, name)))
        // The first job taken, as a claim of the time did (later claims also record columns added after 0007).
        yield* sql`UPDATE queue_items SET status = 'processing', attempts = 1, lease_owner = 'w', lease_until = ${leaseUntil},
          current_step = 'template_parser', started_at = ${now}
          WHERE seq = (SELECT min(seq) FROM queue_items)`

        expect((yield* through0007).map(([id]) => id)).toEqual([7])
        const kept = yield* sql<{ stretch: number | string; pending: number }>`
          SELECT stretch, pending FROM queue_line_counts ORDER BY stretch`
        expect(kept.map((r) => [Number(r.stretch), r.pending])).toEqual([
          [0, 5],
          [1, 4]
        ])
        const listed = yield* repo.listQueue(owner.id, new Date(0))
        expect(listed.map((e) => [e.job.id, e.position])).toEqual(jobs.map((j, i) => [j.id, i === 0 ? null : i]))
      })
    )
  })
})
