/**
 * Benchmark 6: the operators' routes (`/api/admin/…`) at 100 000 jobs on Postgres — 1 000 users over 90 days, 85 %
 * of the jobs completed with one email each (half of them confident), 5 % failed, 10 % pending, two résumé templates
 * per user, seeded in SQL as the routes' scale test seeds them (`AdminScale.ts` in the adapters' test kit) — through the API process
 * (`bench/processes/api.ts`), one request at a time (p50/p99 over 3 s, after 0.5 s of warm-up), against the same SQL
 * run bare (`pg`), and the SQL the overview, the users list and the activity ran before the counts kept per user
 * and per week (migration 0013), run bare too.
 */

import { jobs, seedStatements, users } from "@scribe/adapters/testkit/AdminScale"
import { Effect } from "effect"
import Pg from "pg"
import { migrateWithApi, startApi } from "./ApiProcess"
import * as Fixtures from "./Fixtures"
import { type BenchContext, type BenchOutcome, type Row, round, type Summary, summarize, tempDatabase } from "./Harness"
import { closedLoop, httpClient } from "./Load"

const operator = "bench-operator"

/** The start of the current ISO week (UTC), and of the week `back` weeks before it. */
const weekStart = (back = 0) => {
  const now = new Date()
  const day = (now.getUTCDay() + 6) % 7
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day - 7 * back))
}

/** The SQL each route runs, as the adapters run it (the user's lookup first where the route has one). */
const tuned = {
  overview: `
    SELECT (SELECT count(*) FROM users) AS users, r.emails, r.confident_emails,
           (SELECT count(*) FROM emails WHERE created_at >= $1) AS emails_since,
           (SELECT count(*) FROM resume_templates) AS templates,
           r.completed_jobs, r.failed_jobs, r.mean_generation_seconds,
           (SELECT count(DISTINCT user_id) FROM queue_items WHERE created_at >= $1) AS active_users_since
    FROM (SELECT coalesce(sum(emails), 0) AS emails, coalesce(sum(confident_emails), 0) AS confident_emails,
                 coalesce(sum(completed_jobs), 0) AS completed_jobs, coalesce(sum(failed_jobs), 0) AS failed_jobs,
                 (sum(generation_seconds) / nullif(sum(timed_jobs), 0))::float8 AS mean_generation_seconds
          FROM admin_user_totals) r`,
  users: `
    WITH t AS (SELECT user_id, count(*) AS templates FROM resume_templates GROUP BY user_id)
    SELECT u.id, u.email, u.display_name, u.onboarded, u.email_template, u.created_at,
           coalesce(r.emails, 0) AS emails, coalesce(t.templates, 0) AS templates,
           coalesce(r.jobs, 0) AS jobs, coalesce(r.failed_jobs, 0) AS failed_jobs
    FROM users u LEFT JOIN admin_user_totals r ON r.user_id = u.id LEFT JOIN t ON t.user_id = u.id
    ORDER BY u.created_at DESC, u.id DESC`,
  activity: `
    SELECT to_char(week, 'IYYY-"W"IW') AS week, sum(emails) AS emails,
           count(*) FILTER (WHERE jobs > 0) AS active_users
    FROM admin_user_weeks WHERE week >= scribe_iso_week($1)
    GROUP BY week HAVING sum(emails) > 0 OR count(*) FILTER (WHERE jobs > 0) > 0`,
  userExists: "SELECT id FROM users WHERE id = $1",
  emailCount: "SELECT count(*) AS n FROM emails WHERE user_id = $1",
  emailPage: "SELECT * FROM emails WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 20",
  templates: "SELECT * FROM resume_templates WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100 OFFSET 0",
  queue: "SELECT * FROM queue_items WHERE user_id = $1 ORDER BY created_at DESC, seq DESC LIMIT 100",
  errors: `
    SELECT q.*, u.email AS user_email, u.display_name AS user_display_name
    FROM queue_items q JOIN users u ON u.id = q.user_id
    WHERE q.status = 'failed' ORDER BY q.created_at DESC, q.seq DESC LIMIT 50`
}

/** What the three whole-table routes ran before migration 0013: a pass over every job and every email. */
const before = {
  overview: `
    SELECT (SELECT count(*) FROM users) AS users, e.emails, e.confident_emails, e.emails_since,
           (SELECT count(*) FROM resume_templates) AS templates,
           j.completed_jobs, j.failed_jobs, j.mean_generation_seconds,
           (SELECT count(DISTINCT user_id) FROM queue_items WHERE created_at >= $1) AS active_users_since
    FROM (SELECT count(*) AS emails, count(*) FILTER (WHERE is_confident) AS confident_emails,
                 count(*) FILTER (WHERE created_at >= $1) AS emails_since
          FROM emails) e,
         (SELECT count(*) FILTER (WHERE status = 'completed') AS completed_jobs,
                 count(*) FILTER (WHERE status = 'failed') AS failed_jobs,
                 avg(generation_time) FILTER (WHERE status = 'completed') AS mean_generation_seconds
          FROM queue_items) j`,
  users: `
    WITH e AS (SELECT user_id, count(*) AS emails FROM emails GROUP BY user_id),
         t AS (SELECT user_id, count(*) AS templates FROM resume_templates GROUP BY user_id),
         q AS (SELECT user_id, count(*) AS jobs, count(*) FILTER (WHERE status = 'failed') AS failed_jobs
               FROM queue_items GROUP BY user_id)
    SELECT u.id, u.email, u.display_name, u.onboarded, u.email_template, u.created_at,
           coalesce(e.emails, 0) AS emails, coalesce(t.templates, 0) AS templates,
           coalesce(q.jobs, 0) AS jobs, coalesce(q.failed_jobs, 0) AS failed_jobs
    FROM users u LEFT JOIN e ON e.user_id = u.id LEFT JOIN t ON t.user_id = u.id LEFT JOIN q ON q.user_id = u.id
    ORDER BY u.created_at DESC, u.id DESC`,
  activity: `
    WITH e AS (SELECT date_trunc('week', created_at AT TIME ZONE 'UTC') AS w, count(*) AS emails
               FROM emails WHERE created_at >= $1 GROUP BY 1),
         a AS (SELECT w, count(*) AS active_users
               FROM (SELECT DISTINCT date_trunc('week', created_at AT TIME ZONE 'UTC') AS w, user_id
                     FROM queue_items WHERE created_at >= $1) pairs
               GROUP BY w)
    SELECT to_char(w, 'IYYY-"W"IW') AS week, coalesce(e.emails, 0) AS emails,
           coalesce(a.active_users, 0) AS active_users
    FROM e FULL JOIN a USING (w)`
}

interface Route {
  readonly name: string
  readonly path: string
  /** The route's statements, with their parameters, in order. */
  readonly bare: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]>
  readonly before?: readonly [string, ReadonlyArray<unknown>]
}

const user = "scale-7"
const routes = (): ReadonlyArray<Route> => [
  {
    name: "overview",
    path: "/api/admin/overview",
    bare: [[tuned.overview, [weekStart()]]],
    before: [before.overview, [weekStart()]]
  },
  { name: "users", path: "/api/admin/users", bare: [[tuned.users, []]], before: [before.users, []] },
  {
    name: "a user's emails",
    path: `/api/admin/users/${user}/emails?page=2&per_page=20`,
    bare: [
      [tuned.userExists, [user]],
      [tuned.emailCount, [user]],
      [tuned.emailPage, [user]]
    ]
  },
  {
    name: "a user's templates",
    path: `/api/admin/users/${user}/templates`,
    bare: [
      [tuned.userExists, [user]],
      [tuned.templates, [user]]
    ]
  },
  {
    name: "a user's queue",
    path: `/api/admin/users/${user}/queue`,
    bare: [
      [tuned.userExists, [user]],
      [tuned.queue, [user]]
    ]
  },
  {
    name: "activity, 13 weeks",
    path: "/api/admin/activity?weeks=13",
    bare: [[tuned.activity, [weekStart(12)]]],
    before: [before.activity, [weekStart(12)]]
  },
  { name: "errors", path: "/api/admin/errors", bare: [[tuned.errors, []]] }
]

const measure = async (call: () => Promise<boolean>): Promise<{ latency: Summary; errors: number }> => {
  const { latencies, errors } = await closedLoop(call, { concurrency: 1, durationMs: 3000, warmupMs: 500 })
  return { latency: summarize(latencies), errors }
}

const targetMs = 50

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.promise(async () => {
    const database = await tempDatabase()
    try {
      const env = { DATABASE_URL: database.url, SCRIBE_ADMIN_EMAILS: `${operator}@bench.example` }
      // The API process migrates the new database; it is seeded once that is done, then the API restarted on it.
      await migrateWithApi(env)
      const pool = new Pg.Pool({ connectionString: database.url, max: 4 })
      const bare = new Map<string, { latency: Summary; errors: number }>()
      const old = new Map<string, { latency: Summary; errors: number }>()
      try {
        ctx.log(`admin: seeding ${jobs} jobs of ${users} users on Postgres`)
        const seeding = performance.now()
        const client = await pool.connect()
        try {
          for (const statement of seedStatements) await client.query(statement)
        } finally {
          client.release()
        }
        ctx.log(`admin: seeded in ${round((performance.now() - seeding) / 1000, 1)} s; bare SQL`)
        for (const route of routes()) {
          bare.set(
            route.name,
            await measure(async () => {
              for (const [text, values] of route.bare) await pool.query(text, [...values])
              return true
            })
          )
          if (route.before !== undefined) {
            const [text, values] = route.before
            old.set(route.name, await measure(async () => (await pool.query(text, [...values])).rowCount !== null))
          }
        }
      } finally {
        await pool.end()
      }

      ctx.log("admin: the routes through the API")
      const api = await startApi(env, 120_000)
      const http = httpClient(api.origin, { maxSockets: 1 })
      const viaApi = new Map<string, { latency: Summary; errors: number }>()
      let overview: unknown
      try {
        const token = await Fixtures.tokenFor(operator)
        const check = await http.get("/api/admin/overview", token)
        if (check.status !== 200) throw new Error(`GET /api/admin/overview answered ${check.status}: ${check.body}`)
        overview = JSON.parse(check.body)
        for (const route of routes()) {
          viaApi.set(route.name, await measure(async () => (await http.get(route.path, token)).status === 200))
        }
      } finally {
        http.close()
        await api.process.stop()
      }

      const rows: Array<Row> = []
      for (const route of routes()) {
        const m = viaApi.get(route.name)!
        const b = bare.get(route.name)!
        rows.push(
          {
            bench: "admin",
            name: `GET ${route.path} p50 (Postgres, ${jobs / 1000}k jobs)`,
            value: m.latency.p50,
            unit: "ms",
            baseline: { label: "bare SQL", value: b.latency.p50 }
          },
          {
            bench: "admin",
            name: `GET ${route.path} p99 (Postgres, ${jobs / 1000}k jobs)`,
            value: m.latency.p99,
            unit: "ms",
            baseline: { label: "bare SQL", value: b.latency.p99 },
            target: { text: `< ${targetMs} ms`, met: m.latency.p99 < targetMs && m.errors === 0 }
          }
        )
        const o = old.get(route.name)
        if (o !== undefined) {
          rows.push({
            bench: "admin",
            name: `${route.name} SQL before the kept counts, bare p99 (Postgres, ${jobs / 1000}k jobs)`,
            value: o.latency.p99,
            unit: "ms",
            baseline: { label: "tuned SQL", value: b.latency.p99 }
          })
        }
      }
      const detail = (m: { latency: Summary; errors: number }) => ({
        latencyMs: Object.fromEntries(Object.entries(m.latency).map(([k, v]) => [k, round(v, 3)])),
        errors: m.errors
      })
      return {
        rows,
        details: {
          jobs,
          users,
          overview,
          routes: Object.fromEntries(
            routes().map((r) => [
              r.path,
              {
                api: detail(viaApi.get(r.name)!),
                bare: detail(bare.get(r.name)!),
                ...(old.has(r.name) ? { before: detail(old.get(r.name)!) } : {})
              }
            ])
          )
        }
      }
    } finally {
      await database.drop()
    }
  })
