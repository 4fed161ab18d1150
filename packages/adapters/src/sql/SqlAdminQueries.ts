import { SqlClient, SqlSchema } from "@effect/sql"
import { AdminQueries, type UserSummary } from "@scribe/core/admin/AdminQueries"
import { BatchId, EmailId, JobId, UserId } from "@scribe/core/Ids"
import { Job } from "@scribe/core/jobs/Job"
import { RepoError } from "@scribe/core/store/Repo"
import { Effect, Layer, Option, Schema } from "effect"
import { EmailFromRow, Int8, jobColumns, type RawJobRow } from "./Rows"

interface FailedJobRow extends RawJobRow {
  readonly user_email: string | null
  readonly user_display_name: string | null
}

const isJobRow = (u: unknown): u is RawJobRow =>
  typeof u === "object" &&
  u !== null &&
  "id" in u &&
  typeof u.id === "string" &&
  "user_id" in u &&
  typeof u.user_id === "string" &&
  "status" in u &&
  typeof u.status === "string" &&
  "step_timings" in u &&
  typeof u.step_timings === "object" &&
  "created_at" in u &&
  u.created_at instanceof Date

/**
 * A job row as a `Job`, without validating it again, as `QueueListing` reads the queue: the full decode (the row
 * schema, then every refinement of `Job`) cost most of a user's queue and of the errors (100 and 50 jobs) at 100 000
 * jobs. Every row passed those rules when it was written and the table's constraints hold it to them, so only its
 * shape is checked (`isJobRow`).
 */
const trustedJob = (r: RawJobRow): Job =>
  new Job(
    {
      id: JobId.make(r.id, true),
      userId: UserId.make(r.user_id, true),
      batchId: r.batch_id === null ? null : BatchId.make(r.batch_id, true),
      seq: Number(r.seq),
      emailId: r.email_id === null ? null : EmailId.make(r.email_id, true),
      ...jobColumns(r)
    },
    true
  )

/** `rows` as jobs, once each has a job row's shape. */
const trustedJobs = <R extends RawJobRow>(operation: string, rows: ReadonlyArray<unknown>) =>
  rows.every(isJobRow)
    ? Effect.succeed(rows as ReadonlyArray<R>)
    : Effect.fail(new Error(`${operation}: a row of an unexpected shape`))

const TotalsRow = Schema.Struct({
  users: Int8,
  emails: Int8,
  confident_emails: Int8,
  emails_since: Int8,
  templates: Int8,
  completed_jobs: Int8,
  failed_jobs: Int8,
  mean_generation_seconds: Schema.NullOr(Schema.Number),
  active_users_since: Int8
})

/** A row of the users list as the driver returns it (the counts are int8: numbers from PGlite, strings from pg). */
interface UserRow {
  readonly id: string
  readonly email: string | null
  readonly display_name: string | null
  readonly onboarded: boolean
  readonly email_template: string | null
  readonly created_at: Date
  readonly emails: number | string
  readonly templates: number | string
  readonly jobs: number | string
  readonly failed_jobs: number | string
}

const isUserRow = (u: unknown): u is UserRow =>
  typeof u === "object" &&
  u !== null &&
  "id" in u &&
  typeof u.id === "string" &&
  "onboarded" in u &&
  typeof u.onboarded === "boolean" &&
  "created_at" in u &&
  u.created_at instanceof Date &&
  "emails" in u &&
  "jobs" in u

/** A users-list row as a `UserSummary`, trusted as `trustedJob` is: the list has every user, 1 000 rows and more. */
const trustedUser = (r: UserRow): UserSummary => ({
  id: UserId.make(r.id, true),
  email: r.email,
  displayName: r.display_name,
  onboarded: r.onboarded,
  emailTemplate: r.email_template,
  createdAt: r.created_at,
  emails: Number(r.emails),
  templates: Number(r.templates),
  jobs: Number(r.jobs),
  failedJobs: Number(r.failed_jobs)
})

const WeekRow = Schema.Struct({ week: Schema.String, emails: Int8, active_users: Int8 })

const orRepoError = (operation: string) => Effect.mapError((cause: unknown) => new RepoError({ operation, cause }))

/**
 * The `AdminQueries` port on any Postgres `SqlClient`: the counts from the per-user and per-week rows of migration 0013,
 * the rest from the indexes listed in migration 0010.
 */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  // The totals from the per-user counts (migration 0013); this week's from the created_at indexes.
  const totals = SqlSchema.single({
    Request: Schema.DateFromSelf,
    Result: TotalsRow,
    execute: (since) => sql`
      SELECT (SELECT count(*) FROM users) AS users,
             r.emails, r.confident_emails,
             (SELECT count(*) FROM emails WHERE created_at >= ${since}) AS emails_since,
             (SELECT count(*) FROM resume_templates) AS templates,
             r.completed_jobs, r.failed_jobs, r.mean_generation_seconds,
             (SELECT count(DISTINCT user_id) FROM queue_items WHERE created_at >= ${since}) AS active_users_since
      FROM (SELECT coalesce(sum(emails), 0) AS emails, coalesce(sum(confident_emails), 0) AS confident_emails,
                   coalesce(sum(completed_jobs), 0) AS completed_jobs, coalesce(sum(failed_jobs), 0) AS failed_jobs,
                   (sum(generation_seconds) / nullif(sum(timed_jobs), 0))::float8 AS mean_generation_seconds
            FROM admin_user_totals) r`
  })

  // One row of counts per user (migration 0013), the users in order from their index.
  const users = () =>
    sql<object>`
      WITH t AS (SELECT user_id, count(*) AS templates FROM resume_templates GROUP BY user_id)
      SELECT u.id, u.email, u.display_name, u.onboarded, u.email_template, u.created_at,
             coalesce(r.emails, 0) AS emails, coalesce(t.templates, 0) AS templates,
             coalesce(r.jobs, 0) AS jobs, coalesce(r.failed_jobs, 0) AS failed_jobs
      FROM users u
      LEFT JOIN admin_user_totals r ON r.user_id = u.id
      LEFT JOIN t ON t.user_id = u.id
      ORDER BY u.created_at DESC, u.id DESC`.pipe(
      Effect.flatMap((rows) =>
        rows.every(isUserRow)
          ? Effect.succeed(rows.map(trustedUser))
          : Effect.fail(new Error("adminUsers: a row of an unexpected shape"))
      )
    )

  const userExists = SqlSchema.findOne({
    Request: UserId,
    Result: Schema.Struct({ id: Schema.String }),
    execute: (id) => sql`SELECT id FROM users WHERE id = ${id}`
  })

  const emailCount = SqlSchema.single({
    Request: UserId,
    Result: Schema.Struct({ n: Int8 }),
    execute: (id) => sql`SELECT count(*) AS n FROM emails WHERE user_id = ${id}`
  })

  const emailPage = SqlSchema.findAll({
    Request: Schema.Struct({ id: UserId, limit: Schema.Number, offset: Schema.Number }),
    Result: EmailFromRow,
    execute: ({ id, limit, offset }) => sql`
      SELECT * FROM emails WHERE user_id = ${id}
      ORDER BY created_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`
  })

  const userJobs = ({ id, limit }: { readonly id: UserId; readonly limit: number }) =>
    sql<object>`SELECT * FROM queue_items WHERE user_id = ${id} ORDER BY created_at DESC, seq DESC LIMIT ${limit}`.pipe(
      Effect.flatMap((rows) => trustedJobs<RawJobRow>("adminUserJobs", rows)),
      Effect.map((rows) => rows.map(trustedJob))
    )

  // The weeks' rows (migration 0013): `since` is a week's start, so whole weeks are what is asked.
  const activity = SqlSchema.findAll({
    Request: Schema.DateFromSelf,
    Result: WeekRow,
    execute: (since) => sql`
      SELECT to_char(week, 'IYYY-"W"IW') AS week, sum(emails) AS emails,
             count(*) FILTER (WHERE jobs > 0) AS active_users
      FROM admin_user_weeks
      WHERE week >= scribe_iso_week(${since})
      GROUP BY week
      HAVING sum(emails) > 0 OR count(*) FILTER (WHERE jobs > 0) > 0`
  })

  const failedJobs = (limit: number) =>
    sql<object>`
      SELECT q.*, u.email AS user_email, u.display_name AS user_display_name
      FROM queue_items q JOIN users u ON u.id = q.user_id
      WHERE q.status = 'failed'
      ORDER BY q.created_at DESC, q.seq DESC LIMIT ${limit}`.pipe(
      Effect.flatMap((rows) => trustedJobs<FailedJobRow>("adminFailedJobs", rows)),
      Effect.map((rows) =>
        rows.map((r) => ({ job: trustedJob(r), userEmail: r.user_email, userDisplayName: r.user_display_name }))
      )
    )

  return AdminQueries.of({
    totals: (since) =>
      totals(since).pipe(
        Effect.map((t) => ({
          users: t.users,
          emails: t.emails,
          confidentEmails: t.confident_emails,
          templates: t.templates,
          completedJobs: t.completed_jobs,
          failedJobs: t.failed_jobs,
          meanGenerationSeconds: t.mean_generation_seconds,
          emailsSince: t.emails_since,
          activeUsersSince: t.active_users_since
        })),
        orRepoError("adminTotals"),
        Effect.withSpan("AdminQueries.totals")
      ),
    users: () => users().pipe(orRepoError("adminUsers"), Effect.withSpan("AdminQueries.users")),
    userExists: (id) =>
      userExists(id).pipe(
        Effect.map(Option.isSome),
        orRepoError("adminUserExists"),
        Effect.withSpan("AdminQueries.userExists")
      ),
    userEmails: (id, page) =>
      Effect.all([emailCount(id), emailPage({ id, ...page })]).pipe(
        Effect.map(([{ n }, items]) => ({ items, total: n })),
        orRepoError("adminUserEmails"),
        Effect.withSpan("AdminQueries.userEmails")
      ),
    userJobs: (id, limit) =>
      userJobs({ id, limit }).pipe(orRepoError("adminUserJobs"), Effect.withSpan("AdminQueries.userJobs")),
    activity: (since) =>
      activity(since).pipe(
        Effect.map((rows) => rows.map((r) => ({ week: r.week, emails: r.emails, activeUsers: r.active_users }))),
        orRepoError("adminActivity"),
        Effect.withSpan("AdminQueries.activity")
      ),
    failedJobs: (limit) =>
      failedJobs(limit).pipe(orRepoError("adminFailedJobs"), Effect.withSpan("AdminQueries.failedJobs"))
  })
})

export const layer: Layer.Layer<AdminQueries, never, SqlClient.SqlClient> = Layer.effect(AdminQueries, make)
