import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Runtime } from "effect"
import * as fc from "fast-check"
import * as Database from "../src/sql/Database"
import * as Migrations from "../src/sql/Migrations"
import { layerTempPostgres, tempDatabaseUrl } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"

/**
 * The operators' per-user, per-week and per-user counts (`admin_user_weeks`, `admin_user_totals`, migration 0013)
 * must equal a count of the rows
 * themselves, whatever happened to them: jobs submitted in any week and with any status, claimed, put back for a
 * retry, completed with or without a generation time, failed, cancelled, emails written and marked (not) confident,
 * deleted, a user deleted with everything of theirs, the tables truncated.
 */

const statuses = ["pending", "processing", "completed", "failed"] as const
type Status = (typeof statuses)[number]

type Op =
  | { readonly _tag: "submit"; readonly user: number; readonly count: number; readonly week: number }
  | { readonly _tag: "status"; readonly pick: number; readonly status: Status; readonly time: number | null }
  | { readonly _tag: "cancel"; readonly pick: number }
  | { readonly _tag: "email"; readonly user: number; readonly week: number; readonly confident: boolean }
  | { readonly _tag: "confidence"; readonly pick: number }
  | { readonly _tag: "dropEmail"; readonly pick: number }
  | { readonly _tag: "dropUser"; readonly user: number }
  | { readonly _tag: "truncate"; readonly table: "emails" | "queue_items" }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("submit" as const),
      user: fc.nat(2),
      count: fc.integer({ min: 1, max: 4 }),
      week: fc.nat(3)
    })
  },
  {
    weight: 5,
    arbitrary: fc.record({
      _tag: fc.constant("status" as const),
      pick: fc.nat(),
      status: fc.constantFrom(...statuses),
      time: fc.option(fc.double({ min: 0.1, max: 60, noNaN: true }))
    })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      _tag: fc.constant("email" as const),
      user: fc.nat(2),
      week: fc.nat(3),
      confident: fc.boolean()
    })
  },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("confidence" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("dropEmail" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("dropUser" as const), user: fc.nat(2) }) },
  {
    weight: 1,
    arbitrary: fc.record({ _tag: fc.constant("truncate" as const), table: fc.constantFrom("emails", "queue_items") })
  }
)

// A Sunday evening: a week back is the week before, and a few hours later is the next ISO week.
const now = new Date("2026-11-22T22:30:00.000Z")
const at = (week: number, salt: number) => new Date(now.getTime() - week * 7 * 86_400_000 + (salt % 5) * 3_600_000)
const userIds = ["weeks-a", "weeks-b", "weeks-c"]

const ensureUsers = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const id of userIds) {
    yield* sql`INSERT INTO users (id, email, created_at) VALUES (${id}, NULL, ${now}) ON CONFLICT (id) DO NOTHING`
  }
})

const nth = (rows: ReadonlyArray<{ readonly id: string }>, pick: number) => rows[pick % Math.max(rows.length, 1)]

const apply = (step: Op, salt: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const jobs = () => sql<{ id: string }>`SELECT id FROM queue_items ORDER BY seq`
    // Emails no completed job points at (one that does is its job's, and goes with it).
    const emails = () => sql<{ id: string }>`
      SELECT id FROM emails e WHERE NOT EXISTS (SELECT 1 FROM queue_items q WHERE q.email_id = e.id)
      ORDER BY created_at, id`
    switch (step._tag) {
      case "submit": {
        // One statement, as a batch is inserted: `count` jobs of this user and week, and as many of the others'.
        const created = at(step.week, salt)
        yield* sql`
          INSERT INTO queue_items (id, user_id, recipient_name, recipient_interest, email_template, status,
                                   available_at, created_at)
          SELECT gen_random_uuid(), ${userIds[step.user]!}, 'Dr. Who', 'time', 'Dear {{name}}', 'pending',
                 ${created}, ${created}
          FROM generate_series(1, ${step.count})
          UNION ALL
          SELECT gen_random_uuid(), (ARRAY[${userIds[0]!}, ${userIds[1]!}, ${userIds[2]!}])[1 + i % 3], 'Dr. Who',
                 'time', 'Dear {{name}}', 'pending', ${created}::timestamptz - (i % 3) * interval '7 days',
                 ${created}::timestamptz - (i % 3) * interval '7 days'
          FROM generate_series(1, ${step.count}) i`
        break
      }
      case "status": {
        const job = nth(yield* jobs(), step.pick)
        if (job === undefined) break
        // Each status as the job leases leave it (the table's constraints hold every one of them to that).
        switch (step.status) {
          case "pending":
            yield* sql`
              UPDATE queue_items SET status = 'pending', lease_owner = NULL, lease_until = NULL, current_step = NULL,
                                     step_status = NULL, email_id = NULL, generation_time = NULL, finished_at = NULL
              WHERE id = ${job.id}`
            break
          case "processing":
            yield* sql`
              UPDATE queue_items SET status = 'processing', lease_owner = 'w', lease_until = ${now},
                                     current_step = 'web_scraper', attempts = attempts + 1, started_at = ${now},
                                     email_id = NULL, generation_time = NULL, finished_at = NULL
              WHERE id = ${job.id}`
            break
          case "completed": {
            const emailId = crypto.randomUUID()
            yield* sql`UPDATE emails SET job_id = NULL WHERE job_id = ${job.id}`
            yield* sql`
              INSERT INTO emails (id, user_id, job_id, recipient_name, recipient_interest, email_message, metadata,
                                  is_confident, created_at)
              SELECT ${emailId}, user_id, id, recipient_name, recipient_interest, 'Dear Dr. Who', '{}',
                     ${salt % 2 === 0}, ${at(0, salt)}
              FROM queue_items WHERE id = ${job.id}`
            yield* sql`
              UPDATE queue_items SET status = 'completed', lease_owner = NULL, lease_until = NULL,
                                     current_step = NULL, step_status = NULL, email_id = ${emailId},
                                     generation_time = ${step.time ?? 1}, attempts = greatest(attempts, 1),
                                     started_at = coalesce(started_at, ${now}), finished_at = ${now}
              WHERE id = ${job.id}`
            break
          }
          case "failed":
            yield* sql`
              UPDATE queue_items SET status = 'failed', lease_owner = NULL, lease_until = NULL, current_step = NULL,
                                     step_status = NULL, email_id = NULL, generation_time = ${step.time},
                                     error_message = 'upstream down', error_type = 'UpstreamUnavailable',
                                     attempts = greatest(attempts, 1), started_at = coalesce(started_at, ${now}),
                                     finished_at = ${now}
              WHERE id = ${job.id}`
            break
        }
        break
      }
      case "cancel": {
        const job = nth(yield* jobs(), step.pick)
        if (job !== undefined) yield* sql`DELETE FROM queue_items WHERE id = ${job.id}`
        break
      }
      case "email": {
        const written = at(step.week, salt + 1)
        yield* sql`
          INSERT INTO emails (id, user_id, recipient_name, recipient_interest, email_message, metadata, is_confident,
                              created_at)
          VALUES (${crypto.randomUUID()}, ${userIds[step.user]!}, 'Dr. Who', 'time', 'Dear Dr. Who', '{}',
                  ${step.confident}, ${written})`
        break
      }
      case "confidence": {
        const email = nth(yield* sql<{ id: string }>`SELECT id FROM emails ORDER BY created_at, id`, step.pick)
        if (email !== undefined) yield* sql`UPDATE emails SET is_confident = NOT is_confident WHERE id = ${email.id}`
        break
      }
      case "dropEmail": {
        const email = nth(yield* emails(), step.pick)
        if (email !== undefined) yield* sql`DELETE FROM emails WHERE id = ${email.id}`
        break
      }
      case "dropUser":
        yield* sql`DELETE FROM users WHERE id = ${userIds[step.user]!}`
        yield* ensureUsers
        break
      case "truncate":
        yield* sql.unsafe(`TRUNCATE ${step.table} CASCADE`)
        break
    }
  })

type Counts = ReadonlyArray<ReadonlyArray<string | number>>

/** The kept counts, rows of nothing left out, and the same counted from the rows, in one shape. */
const keptAndCounted = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const shape = (rows: ReadonlyArray<Record<string, unknown>>): Counts =>
    rows.map((r) => [
      String(r.user_id),
      String(r.week),
      Number(r.jobs),
      Number(r.completed_jobs),
      Number(r.failed_jobs),
      Number(r.timed_jobs),
      Math.round(Number(r.generation_seconds) * 1e6) / 1e6,
      Number(r.emails),
      Number(r.confident_emails)
    ])
  const kept = yield* sql`
    SELECT user_id, week::text AS week, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds, emails,
           confident_emails
    FROM admin_user_weeks WHERE jobs <> 0 OR emails <> 0 ORDER BY user_id, week`
  const counted = yield* sql`
    SELECT user_id, week::text AS week, coalesce(j.jobs, 0) AS jobs, coalesce(j.completed_jobs, 0) AS completed_jobs,
           coalesce(j.failed_jobs, 0) AS failed_jobs, coalesce(j.timed_jobs, 0) AS timed_jobs,
           coalesce(j.generation_seconds, 0) AS generation_seconds, coalesce(e.emails, 0) AS emails,
           coalesce(e.confident_emails, 0) AS confident_emails
    FROM (SELECT user_id, date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS week, count(*) AS jobs,
                 count(*) FILTER (WHERE status = 'completed') AS completed_jobs,
                 count(*) FILTER (WHERE status = 'failed') AS failed_jobs,
                 count(generation_time) FILTER (WHERE status = 'completed') AS timed_jobs,
                 sum(generation_time) FILTER (WHERE status = 'completed') AS generation_seconds
          FROM queue_items GROUP BY 1, 2) j
    FULL JOIN (SELECT user_id, date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS week, count(*) AS emails,
                      count(*) FILTER (WHERE is_confident) AS confident_emails
               FROM emails GROUP BY 1, 2) e USING (user_id, week)
    ORDER BY user_id, week`
  // The per-user totals are the weeks' sums.
  const totals = yield* sql`
    SELECT user_id, 'all' AS week, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds, emails,
           confident_emails
    FROM admin_user_totals WHERE jobs <> 0 OR emails <> 0 ORDER BY user_id`
  const summed = yield* sql`
    SELECT user_id, 'all' AS week, sum(jobs) AS jobs, sum(completed_jobs) AS completed_jobs,
           sum(failed_jobs) AS failed_jobs, sum(timed_jobs) AS timed_jobs,
           sum(generation_seconds) AS generation_seconds, sum(emails) AS emails,
           sum(confident_emails) AS confident_emails
    FROM admin_user_weeks GROUP BY user_id HAVING sum(jobs) <> 0 OR sum(emails) <> 0 ORDER BY user_id`
  // No kept row has a count below zero (nothing was taken away twice).
  const negative = yield* sql<{ n: number | string }>`
    SELECT (SELECT count(*) FROM admin_user_weeks
            WHERE jobs < 0 OR completed_jobs < 0 OR failed_jobs < 0 OR timed_jobs < 0 OR emails < 0
               OR confident_emails < 0)
         + (SELECT count(*) FROM admin_user_totals
            WHERE jobs < 0 OR completed_jobs < 0 OR failed_jobs < 0 OR timed_jobs < 0 OR emails < 0
               OR confident_emails < 0) AS n`
  return {
    kept: [...shape(kept), ...shape(totals)],
    counted: [...shape(counted), ...shape(summed)],
    negative: Number(negative[0]?.n)
  }
})

const run = (ops: ReadonlyArray<Op>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, users`
    yield* ensureUsers
    for (const [i, step] of ops.entries()) yield* apply(step, i)
    const { kept, counted, negative } = yield* keptAndCounted
    expect(kept).toEqual(counted)
    expect(negative).toBe(0)
  })

const suite = (name: string, store: Layer.Layer<SqlClient.SqlClient, unknown>, numRuns: number) =>
  layer(store, { timeout: 120_000 })(name, (it) => {
    it.effect(
      "the kept counts equal a count of the jobs and emails, after any sequence of changes",
      () =>
        Effect.gen(function* () {
          const runtime = yield* Effect.runtime<SqlClient.SqlClient>()
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) =>
                Runtime.runPromise(runtime)(run(ops))
              ),
              { numRuns }
            )
          )
        }),
      120_000
    )
  })

describe("admin per-week counts", () => {
  suite("admin per-week counts (PGlite)", Database.layerPglite("memory"), 30)
})

await describePostgres("admin per-week counts (Postgres)", () => {
  suite("admin per-week counts (Postgres)", layerTempPostgres(), 40)

  // A database with jobs and emails already there when migration 0013 runs.
  const before0013 = Migrator.make({})({
    loader: Effect.map(Migrations.loader, (all) => all.filter(([id]) => id < 13))
  })
  layer(Layer.unwrapScoped(Effect.map(tempDatabaseUrl, (url) => PgClient.layer({ url: Redacted.make(url) }))), {
    timeout: 60_000
  })("migration 0013", (it) => {
    it.effect("counts the jobs and emails already stored when it runs", () =>
      Effect.gen(function* () {
        yield* before0013
        yield* ensureUsers
        const ops: ReadonlyArray<Op> = [
          { _tag: "submit", user: 0, count: 3, week: 0 },
          { _tag: "submit", user: 1, count: 2, week: 2 },
          { _tag: "status", pick: 0, status: "completed", time: 12.5 },
          { _tag: "status", pick: 1, status: "failed", time: null },
          { _tag: "status", pick: 3, status: "completed", time: null },
          { _tag: "email", user: 0, week: 0, confident: true },
          { _tag: "email", user: 1, week: 2, confident: false }
        ]
        for (const [i, step] of ops.entries()) yield* apply(step, i)
        yield* Migrations.run
        const { kept, counted } = yield* keptAndCounted
        expect(kept).toEqual(counted)
        expect(kept.length).toBeGreaterThan(0)
        // and it keeps counting from there
        yield* apply({ _tag: "status", pick: 2, status: "completed", time: 3 }, 9)
        const after = yield* keptAndCounted
        expect(after.kept).toEqual(after.counted)
      })
    )
  })
})
