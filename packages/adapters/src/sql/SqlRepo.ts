import { createHash } from "node:crypto"
import { SqlClient, type SqlError, SqlSchema } from "@effect/sql"
import { Email } from "@scribe/core/emails/Email"
import { BatchId, EmailId, JobId, UserId } from "@scribe/core/Ids"
import { Job, JobStatus, NewJob, type QueueEntry } from "@scribe/core/jobs/Job"
import * as TraceContext from "@scribe/core/ops/TraceContext"
import { PipelineStep, StepTimings } from "@scribe/core/pipeline/PipelineStep"
import { type CancelOutcome, idempotencyWindowMs, Repo, RepoError, type SubmitOutcome } from "@scribe/core/store/Repo"
import { TemplateType } from "@scribe/core/templates/Template"
import { type DailyUsage, type JobUsage, type ModelUsage, utcDay } from "@scribe/core/usage/Usage"
import { type Context, Effect, Layer, Option, Schema } from "effect"

// Persistence models: rows as the driver returns them (snake_case, Dates), mapped to core's classes.

/** int8 arrives as a number from PGlite and as a string from node-postgres. */
const Int8 = Schema.Union(Schema.Number, Schema.NumberFromString)

const JobRow = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  batch_id: Schema.NullOr(Schema.String),
  seq: Int8,
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  email_template: Schema.String,
  status: JobStatus,
  current_step: Schema.NullOr(PipelineStep),
  step_status: Schema.NullOr(Schema.String),
  step_timings: StepTimings,
  attempts: Schema.Number,
  error_message: Schema.NullOr(Schema.String),
  error_type: Schema.NullOr(Schema.String),
  failed_step: Schema.NullOr(PipelineStep),
  email_id: Schema.NullOr(Schema.String),
  generation_time: Schema.NullOr(Schema.Number),
  created_at: Schema.DateFromSelf,
  started_at: Schema.NullOr(Schema.DateFromSelf),
  finished_at: Schema.NullOr(Schema.DateFromSelf),
  trace_parent: Schema.NullOr(Schema.String)
})
type JobRow = typeof JobRow.Type

const fromJobRow = (r: JobRow): typeof Job.Encoded => ({
  id: r.id,
  userId: r.user_id,
  batchId: r.batch_id,
  seq: r.seq,
  recipientName: r.recipient_name,
  recipientInterest: r.recipient_interest,
  emailTemplate: r.email_template,
  status: r.status,
  currentStep: r.current_step,
  stepStatus: r.step_status,
  stepTimings: r.step_timings,
  attempts: r.attempts,
  errorMessage: r.error_message,
  errorType: r.error_type,
  failedStep: r.failed_step,
  emailId: r.email_id,
  generationTime: r.generation_time,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  traceParent: r.trace_parent
})

const toJobRow = (j: typeof Job.Encoded): JobRow => ({
  id: j.id,
  user_id: j.userId,
  batch_id: j.batchId,
  seq: j.seq,
  recipient_name: j.recipientName,
  recipient_interest: j.recipientInterest,
  email_template: j.emailTemplate,
  status: j.status,
  current_step: j.currentStep,
  step_status: j.stepStatus,
  step_timings: j.stepTimings,
  attempts: j.attempts,
  error_message: j.errorMessage,
  error_type: j.errorType,
  failed_step: j.failedStep,
  email_id: j.emailId,
  generation_time: j.generationTime,
  created_at: j.createdAt,
  started_at: j.startedAt,
  finished_at: j.finishedAt,
  trace_parent: j.traceParent ?? null
})

const JobFromRow = Schema.transform(JobRow, Job, { strict: true, decode: fromJobRow, encode: toJobRow })

/**
 * The queue listing ($1 user, $2 window start): the caller's jobs of the window, oldest first, with positions for the
 * pending ones. Only the columns the listing shows are read. The pending jobs ahead of the caller's first one are the
 * kept counts of the stretches wholly ahead of it (`queue_line_counts`, migration 0007) plus a count in its own stretch
 * on the pending-seq index (at most 255 entries); only the part of the line between the caller's first and last
 * pending jobs is ranked. (Ranking every pending job took 6 ms at 10 000 pending, counting them 3 ms; issue 6's
 * benchmark.) Exported so the benchmark runs the very same statement bare.
 */
export const listQueueSql = `
      WITH mine AS MATERIALIZED (
        SELECT id, batch_id, seq, recipient_name, recipient_interest, status, current_step, attempts, error_message,
               email_id, created_at, started_at, finished_at
        FROM queue_items WHERE user_id = $1 AND created_at >= $2
      ), span AS MATERIALIZED (
        SELECT min(seq) AS first, max(seq) AS last FROM mine WHERE status = 'pending'
      ), ranked AS (
        SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS rank FROM queue_items
        WHERE status = 'pending' AND seq BETWEEN (SELECT first FROM span) AND (SELECT last FROM span)
      )
      SELECT m.*,
             CASE WHEN m.status = 'pending' THEN
               (SELECT coalesce(sum(pending), 0) FROM queue_line_counts WHERE stretch < (SELECT first FROM span) / 256)
               + (SELECT count(*) FROM queue_items
                  WHERE status = 'pending' AND seq >= (SELECT first FROM span) / 256 * 256 AND seq < (SELECT first FROM span))
               + r.rank
             END AS position
      FROM mine m LEFT JOIN ranked r ON r.seq = m.seq
      ORDER BY m.seq`

/** A `listQueue` row as the driver returns it (int8 is a string from node-postgres, a number from PGlite). */
interface QueueRow {
  readonly id: string
  readonly batch_id: string | null
  readonly seq: number | string
  readonly recipient_name: string
  readonly recipient_interest: string
  readonly status: JobStatus
  readonly current_step: PipelineStep | null
  readonly attempts: number
  readonly error_message: string | null
  readonly email_id: string | null
  readonly created_at: Date
  readonly started_at: Date | null
  readonly finished_at: Date | null
  readonly position: number | string | null
}

const isQueueRow = (u: unknown): u is QueueRow =>
  typeof u === "object" &&
  u !== null &&
  "id" in u &&
  typeof u.id === "string" &&
  "status" in u &&
  typeof u.status === "string" &&
  "created_at" in u &&
  u.created_at instanceof Date

/**
 * A listing row as a `QueueEntry`, without validating it again. `GET /api/queue/` reads up to a day of the caller's
 * jobs on every request, and the full decode (the row schema, then every refinement of `Job`) cost about 50 µs a row,
 * most of the request's time with 100 active jobs (issue 6's benchmark). Every row passed those rules when it was
 * written and the table's constraints hold it to them, so only its shape is checked (`isQueueRow`).
 */
const trustedQueueEntry = (r: QueueRow): QueueEntry => ({
  job: {
    id: JobId.make(r.id, true),
    batchId: r.batch_id === null ? null : BatchId.make(r.batch_id, true),
    seq: Number(r.seq),
    recipientName: r.recipient_name,
    recipientInterest: r.recipient_interest,
    status: r.status,
    currentStep: r.current_step,
    attempts: r.attempts,
    errorMessage: r.error_message,
    emailId: r.email_id === null ? null : EmailId.make(r.email_id, true),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at
  },
  position: r.position === null ? null : Number(r.position)
})

const EmailRow = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  job_id: Schema.NullOr(Schema.String),
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  email_message: Schema.String,
  template_type: Schema.NullOr(TemplateType),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  is_confident: Schema.Boolean,
  displayed: Schema.Boolean,
  created_at: Schema.DateFromSelf
})

const EmailFromRow = Schema.transform(EmailRow, Email, {
  strict: true,
  decode: (r) => ({
    id: r.id,
    userId: r.user_id,
    jobId: r.job_id,
    recipientName: r.recipient_name,
    recipientInterest: r.recipient_interest,
    emailMessage: r.email_message,
    templateType: r.template_type,
    metadata: r.metadata,
    isConfident: r.is_confident,
    displayed: r.displayed,
    createdAt: r.created_at
  }),
  encode: (e) => ({
    id: e.id,
    user_id: e.userId,
    job_id: e.jobId,
    recipient_name: e.recipientName,
    recipient_interest: e.recipientInterest,
    email_message: e.emailMessage,
    template_type: e.templateType,
    metadata: e.metadata,
    is_confident: e.isConfident,
    displayed: e.displayed,
    created_at: e.createdAt
  })
})

// jsonb parameters are encoded to JSON text and cast with `::jsonb` in the statement.
const StepTimingsJson = Schema.parseJson(StepTimings)
const MetadataJson = Schema.parseJson(Email.fields.metadata)

const Id = Schema.Struct({ id: Schema.String })
const Status = Schema.Struct({ status: JobStatus })

const LeaseRequest = Schema.Struct({ jobId: JobId, workerId: Schema.String })

type RepoMethod<K extends keyof Context.Tag.Service<Repo>> = Context.Tag.Service<Repo>[K]

const orRepoError = (operation: string) => Effect.mapError((cause: unknown) => new RepoError({ operation, cause }))

/** The `Repo` port on any Postgres `SqlClient` (node-postgres or PGlite). Times always come from the caller. */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  const upsertUser = SqlSchema.void({
    Request: Schema.Struct({ id: UserId, email: Schema.NullOr(Schema.String), now: Schema.DateFromSelf }),
    execute: ({ id, email, now }) => sql`
      INSERT INTO users (id, email, created_at) VALUES (${id}, ${email}, ${now})
      ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email
      WHERE users.email IS DISTINCT FROM EXCLUDED.email`
  })

  // One statement, so all or none; identity values follow the VALUES order, which is the array order.
  const insertJobRows = SqlSchema.findAll({
    Request: Schema.Struct({
      jobs: Schema.Array(Schema.Struct(NewJob.fields)),
      traceParent: Schema.NullOr(Schema.String)
    }),
    Result: JobFromRow,
    execute: ({ jobs, traceParent }) => sql`
      INSERT INTO queue_items ${sql.insert(
        jobs.map((j) => ({
          id: j.id,
          user_id: j.userId,
          batch_id: j.batchId,
          recipient_name: j.recipientName,
          recipient_interest: j.recipientInterest,
          email_template: j.emailTemplate,
          status: "pending",
          available_at: j.createdAt,
          created_at: j.createdAt,
          trace_parent: traceParent
        }))
      )}
      RETURNING *`
  })
  // Each job remembers the span that inserted it: its attempts join the submitting request's trace.
  const insertJobs = (jobs: ReadonlyArray<typeof NewJob.Type>) =>
    Effect.flatMap(TraceContext.current, (traceParent) => insertJobRows({ jobs, traceParent }))

  const findJob = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: JobId }),
    Result: JobFromRow,
    execute: ({ userId, id }) => sql`SELECT * FROM queue_items WHERE id = ${id} AND user_id = ${userId}`
  })

  const listQueue = (request: { readonly userId: UserId; readonly since: Date }) =>
    sql
      .unsafe<object>(listQueueSql, [request.userId, request.since])
      .pipe(
        Effect.flatMap((rows) =>
          rows.every(isQueueRow)
            ? Effect.succeed(rows.map(trustedQueueEntry))
            : Effect.fail(new Error("listQueue: a row of an unexpected shape"))
        )
      )

  const deletePending = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: JobId }),
    Result: Id,
    execute: ({ userId, id }) => sql`
      DELETE FROM queue_items WHERE id = ${id} AND user_id = ${userId} AND status = 'pending' RETURNING id`
  })

  const jobStatus = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: JobId }),
    Result: Status,
    execute: ({ userId, id }) => sql`SELECT status FROM queue_items WHERE id = ${id} AND user_id = ${userId}`
  })

  const cancelPending = (userId: UserId, id: JobId, tries: number): Effect.Effect<CancelOutcome, unknown> =>
    Effect.gen(function* () {
      if (Option.isSome(yield* deletePending({ userId, id }))) return { _tag: "Cancelled" as const }
      const status = yield* jobStatus({ userId, id })
      if (Option.isNone(status)) return { _tag: "NotFound" as const }
      // Put back in line between the two statements: try the delete again.
      if (status.value.status === "pending" && tries > 1) return yield* cancelPending(userId, id, tries - 1)
      return { _tag: "NotCancellable" as const, status: status.value.status }
    })

  const claimNext = SqlSchema.findOne({
    Request: Schema.Struct({
      workerId: Schema.String,
      now: Schema.DateFromSelf,
      leaseUntil: Schema.DateFromSelf
    }),
    Result: JobFromRow,
    execute: ({ workerId, now, leaseUntil }) => sql`
      UPDATE queue_items q
      SET status = 'processing',
          attempts = q.attempts + 1,
          lease_owner = ${workerId},
          lease_until = ${leaseUntil},
          started_at = COALESCE(q.started_at, ${now})
      FROM (
        SELECT id FROM queue_items
        WHERE (status = 'pending' AND available_at <= ${now})
           OR (status = 'processing' AND lease_until < ${now})
        ORDER BY seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) next
      WHERE q.id = next.id
      RETURNING q.*`
  })

  /** Runs an update guarded by the lease; true when it changed the row. */
  const whileHeld = <I, II>(
    Request: Schema.Schema<I, II>,
    update: (request: II) => Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>
  ): ((request: I) => Effect.Effect<boolean, unknown>) => {
    const run = SqlSchema.findOne({ Request, Result: Id, execute: update })
    return (request) => Effect.map(run(request), Option.isSome)
  }

  const renewLease = whileHeld(
    Schema.Struct({ ...LeaseRequest.fields, leaseUntil: Schema.DateFromSelf }),
    ({ jobId, workerId, leaseUntil }) => sql`
      UPDATE queue_items SET lease_until = ${leaseUntil}
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING id`
  )

  const recordProgress = whileHeld(
    Schema.Struct({
      ...LeaseRequest.fields,
      step: PipelineStep,
      stepStatus: Schema.NullOr(Schema.String),
      stepTimings: StepTimingsJson
    }),
    ({ jobId, workerId, step, stepStatus, stepTimings }) => sql`
      UPDATE queue_items
      SET current_step = ${step}, step_status = ${stepStatus}, step_timings = ${stepTimings}::jsonb
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING id`
  )

  const markFailed = SqlSchema.findOne({
    Request: Schema.Struct({
      ...LeaseRequest.fields,
      message: Schema.String,
      type: Schema.String,
      failedStep: Schema.NullOr(PipelineStep),
      stepTimings: StepTimingsJson,
      now: Schema.DateFromSelf
    }),
    execute: ({ jobId, workerId, message, type, failedStep, stepTimings, now }) => sql`
      UPDATE queue_items
      SET status = 'failed', current_step = NULL, step_status = NULL, step_timings = ${stepTimings}::jsonb,
          error_message = ${message}, error_type = ${type}, failed_step = ${failedStep}, finished_at = ${now},
          lease_owner = NULL, lease_until = NULL
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING user_id`,
    Result: Schema.Struct({ user_id: UserId })
  })

  // The failure and its count in the user's usage of the day, in one transaction.
  const failJob: RepoMethod<"failJob"> = (lease, failure) =>
    Effect.gen(function* () {
      const failed = yield* markFailed({
        ...lease,
        message: failure.message,
        type: failure.type,
        failedStep: failure.failedStep,
        stepTimings: failure.stepTimings,
        now: failure.now
      })
      if (Option.isNone(failed)) return false
      yield* recordUsage(failed.value.user_id, failure.now, { completed: false })
      return true
    }).pipe(sql.withTransaction, orRepoError("failJob"), Effect.withSpan("Repo.failJob"))

  // The last error replaces the stored one field by field, as in the reference implementation.
  const releaseJob = whileHeld(
    Schema.Struct({
      ...LeaseRequest.fields,
      availableAt: Schema.DateFromSelf,
      message: Schema.NullOr(Schema.String),
      type: Schema.NullOr(Schema.String),
      failedStep: Schema.NullOr(PipelineStep)
    }),
    ({ jobId, workerId, availableAt, message, type, failedStep }) => sql`
      UPDATE queue_items
      SET status = 'pending', current_step = NULL, step_status = NULL, available_at = ${availableAt},
          error_message = COALESCE(${message}, error_message), error_type = COALESCE(${type}, error_type),
          failed_step = COALESCE(${failedStep}, failed_step), lease_owner = NULL, lease_until = NULL
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING id`
  )

  const lockHeld = SqlSchema.findOne({
    Request: LeaseRequest,
    Result: Id,
    execute: ({ jobId, workerId }) => sql`
      SELECT id FROM queue_items WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      FOR UPDATE`
  })

  // `job_id` is unique: a job that already has an email inserts nothing.
  const insertEmail = SqlSchema.findOne({
    Request: Schema.Struct({ email: Schema.Struct(Email.fields), jobId: JobId, metadata: MetadataJson }),
    Result: Id,
    execute: ({ email: e, jobId, metadata }) => sql`
      INSERT INTO emails (id, user_id, job_id, recipient_name, recipient_interest, email_message, template_type,
                          metadata, is_confident, displayed, created_at)
      VALUES (${e.id}, ${e.userId}, ${jobId}, ${e.recipientName}, ${e.recipientInterest}, ${e.emailMessage},
              ${e.templateType}, ${metadata}::jsonb, ${e.isConfident}, ${e.displayed}, ${e.createdAt})
      ON CONFLICT (job_id) DO NOTHING
      RETURNING id`
  })

  const markCompleted = SqlSchema.void({
    Request: Schema.Struct({
      jobId: JobId,
      emailId: EmailId,
      generationTime: Schema.Number,
      stepTimings: StepTimingsJson,
      now: Schema.DateFromSelf
    }),
    execute: ({ jobId, emailId, generationTime, stepTimings, now }) => sql`
      UPDATE queue_items
      SET status = 'completed', current_step = NULL, step_status = NULL, step_timings = ${stepTimings}::jsonb,
          email_id = ${emailId}, generation_time = ${generationTime}, finished_at = ${now},
          lease_owner = NULL, lease_until = NULL
      WHERE id = ${jobId}`
  })

  // Nothing is written unless the lease is held and the job has no email yet; the job row stays locked meanwhile.
  const completeJob: RepoMethod<"completeJob"> = (lease, result) =>
    Effect.gen(function* () {
      if (Option.isNone(yield* lockHeld(lease))) return false
      const inserted = yield* insertEmail({ email: result.email, jobId: lease.jobId, metadata: result.email.metadata })
      if (Option.isNone(inserted)) return false
      yield* markCompleted({
        jobId: lease.jobId,
        emailId: result.email.id,
        generationTime: result.generationTime,
        stepTimings: result.stepTimings,
        now: result.now
      })
      yield* recordUsage(result.email.userId, result.now, { completed: true, usage: result.usage })
      return true
    }).pipe(sql.withTransaction, orRepoError("completeJob"), Effect.withSpan("Repo.completeJob"))

  const findEmail = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: EmailId }),
    Result: EmailFromRow,
    execute: ({ userId, id }) => sql`SELECT * FROM emails WHERE id = ${id} AND user_id = ${userId}`
  })

  const listEmails = SqlSchema.findAll({
    Request: Schema.Struct({
      userId: UserId,
      limit: Schema.Number,
      offset: Schema.Number,
      includeDiscarded: Schema.Boolean
    }),
    Result: EmailFromRow,
    execute: ({ userId, limit, offset, includeDiscarded }) => sql`
      SELECT * FROM emails
      WHERE user_id = ${userId} ${includeDiscarded ? sql`` : sql`AND displayed = true`}
      ORDER BY created_at DESC, id DESC
      LIMIT ${limit} OFFSET ${offset}`
  })

  const setDisplayed = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: EmailId, displayed: Schema.Boolean }),
    Result: EmailFromRow,
    execute: ({ userId, id, displayed }) => sql`
      UPDATE emails SET displayed = ${displayed} WHERE id = ${id} AND user_id = ${userId} RETURNING *`
  })

  const forgetStaleKey = SqlSchema.void({
    Request: Schema.Struct({ userId: UserId, key: Schema.String, expiredAt: Schema.DateFromSelf }),
    execute: ({ userId, key, expiredAt }) =>
      sql`DELETE FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key} AND created_at <= ${expiredAt}`
  })

  const claimKey = SqlSchema.findOne({
    Request: Schema.Struct({
      userId: UserId,
      key: Schema.String,
      digest: Schema.String,
      jobIds: Schema.Array(Schema.String),
      now: Schema.DateFromSelf
    }),
    Result: Schema.Struct({ key: Schema.String }),
    execute: ({ userId, key, digest, jobIds, now }) => sql`
      INSERT INTO idempotency_keys (user_id, key, request_sha256, job_ids, created_at)
      VALUES (${userId}, ${key}, ${digest}, ${`{${jobIds.join(",")}}`}::uuid[], ${now})
      ON CONFLICT (user_id, key) DO NOTHING
      RETURNING key`
  })

  const rememberedKey = SqlSchema.single({
    Request: Schema.Struct({ userId: UserId, key: Schema.String }),
    Result: Schema.Struct({ request_sha256: Schema.String, job_ids: Schema.Array(JobId) }),
    execute: ({ userId, key }) =>
      sql`SELECT request_sha256, job_ids::text[] AS job_ids FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key}`
  })

  /**
   * One transaction: forget the key if it is older than the window, then claim it. A concurrent request with the same
   * key waits on the claim's row lock and then finds the winner's answer.
   */
  const insertJobsOnce: RepoMethod<"insertJobsOnce"> = (idempotency, jobs) =>
    Effect.gen(function* () {
      const { userId, key, now } = idempotency
      const digest = createHash("sha256").update(idempotency.request).digest("hex")
      yield* forgetStaleKey({ userId, key, expiredAt: new Date(now.getTime() - idempotencyWindowMs) })
      const claimed = yield* claimKey({ userId, key, digest, jobIds: jobs.map((j) => j.id), now })
      if (Option.isSome(claimed)) {
        const rows = jobs.length === 0 ? [] : yield* insertJobs(jobs)
        return { _tag: "Inserted" as const, jobs: [...rows].sort((a, b) => a.seq - b.seq) }
      }
      const remembered = yield* rememberedKey({ userId, key })
      return remembered.request_sha256 === digest
        ? { _tag: "Replayed" as const, jobIds: remembered.job_ids }
        : { _tag: "KeyReused" as const }
    }).pipe(sql.withTransaction, orRepoError("insertJobsOnce"), Effect.withSpan("Repo.insertJobsOnce"))

  // Usage: per user per UTC day, counted by the transactions that finish jobs.

  const bumpDay = SqlSchema.void({
    Request: Schema.Struct({ userId: UserId, day: Schema.String, emails: Schema.Number, failed: Schema.Number }),
    execute: ({ userId, day, emails, failed }) => sql`
      INSERT INTO usage_daily (user_id, day, emails_generated, jobs_failed)
      VALUES (${userId}, ${day}::date, ${emails}, ${failed})
      ON CONFLICT (user_id, day) DO UPDATE
      SET emails_generated = usage_daily.emails_generated + EXCLUDED.emails_generated,
          jobs_failed = usage_daily.jobs_failed + EXCLUDED.jobs_failed`
  })

  const bumpModel = SqlSchema.void({
    Request: Schema.Struct({
      userId: UserId,
      day: Schema.String,
      model: Schema.String,
      calls: Schema.Number,
      prompt: Schema.Number,
      completion: Schema.Number,
      cost: Schema.Number
    }),
    execute: ({ userId, day, model, calls, prompt, completion, cost }) => sql`
      INSERT INTO usage_daily_models (user_id, day, model, calls, prompt_tokens, completion_tokens, cost_usd)
      VALUES (${userId}, ${day}::date, ${model}, ${calls}, ${prompt}, ${completion}, ${cost})
      ON CONFLICT (user_id, day, model) DO UPDATE
      SET calls = usage_daily_models.calls + EXCLUDED.calls,
          prompt_tokens = usage_daily_models.prompt_tokens + EXCLUDED.prompt_tokens,
          completion_tokens = usage_daily_models.completion_tokens + EXCLUDED.completion_tokens,
          cost_usd = usage_daily_models.cost_usd + EXCLUDED.cost_usd`
  })

  /** Counts one finished job (and what it spent) in its user's usage of the day; runs in the caller's transaction. */
  const recordUsage = (
    userId: UserId,
    now: Date,
    outcome: { readonly completed: boolean; readonly usage?: JobUsage | undefined }
  ) =>
    Effect.gen(function* () {
      const day = utcDay(now)
      yield* bumpDay({ userId, day, emails: outcome.completed ? 1 : 0, failed: outcome.completed ? 0 : 1 })
      for (const m of outcome.usage?.models ?? []) {
        yield* bumpModel({
          userId,
          day,
          model: m.model,
          calls: m.calls,
          prompt: m.promptTokens,
          completion: m.completionTokens,
          cost: m.costUsd
        })
      }
    })

  const DayRow = Schema.Struct({ day: Schema.String, emails_generated: Int8, jobs_failed: Int8 })
  const usageDays = SqlSchema.findAll({
    Request: Schema.Struct({ userId: UserId, from: Schema.String, to: Schema.String }),
    Result: DayRow,
    execute: ({ userId, from, to }) => sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, emails_generated, jobs_failed FROM usage_daily
      WHERE user_id = ${userId} AND day BETWEEN ${from}::date AND ${to}::date
      ORDER BY day`
  })

  const ModelRow = Schema.Struct({
    day: Schema.String,
    model: Schema.String,
    calls: Int8,
    prompt_tokens: Int8,
    completion_tokens: Int8,
    cost_usd: Schema.Number
  })
  const usageModels = SqlSchema.findAll({
    Request: Schema.Struct({ userId: UserId, from: Schema.String, to: Schema.String }),
    Result: ModelRow,
    execute: ({ userId, from, to }) => sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, model, calls, prompt_tokens, completion_tokens, cost_usd
      FROM usage_daily_models
      WHERE user_id = ${userId} AND day BETWEEN ${from}::date AND ${to}::date
      ORDER BY day, model`
  })

  const usage: RepoMethod<"usage"> = (userId, from, to) =>
    Effect.gen(function* () {
      const days = yield* usageDays({ userId, from, to })
      const models = yield* usageModels({ userId, from, to })
      return days.map(
        (d): DailyUsage => ({
          day: d.day,
          emailsGenerated: d.emails_generated,
          jobsFailed: d.jobs_failed,
          models: models
            .filter((m) => m.day === d.day)
            .map(
              (m): ModelUsage => ({
                model: m.model,
                calls: m.calls,
                promptTokens: m.prompt_tokens,
                completionTokens: m.completion_tokens,
                costUsd: m.cost_usd
              })
            )
        })
      )
    }).pipe(orRepoError("usage"), Effect.withSpan("Repo.usage"))

  // Guardrails: submissions of one user are serialised on the user's row, so the count and the insert are atomic.

  const lockUser = SqlSchema.findOne({
    Request: UserId,
    Result: Schema.Struct({ id: Schema.String }),
    execute: (userId) => sql`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`
  })

  const countActive = SqlSchema.single({
    Request: UserId,
    Result: Schema.Struct({ active: Int8 }),
    execute: (userId) => sql`
      SELECT count(*) AS active FROM queue_items WHERE user_id = ${userId} AND status IN ('pending', 'processing')`
  })

  const knownKey = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, key: Schema.String, after: Schema.DateFromSelf }),
    Result: Schema.Struct({ request_sha256: Schema.String, job_ids: Schema.Array(JobId) }),
    execute: ({ userId, key, after }) => sql`
      SELECT request_sha256, job_ids::text[] AS job_ids FROM idempotency_keys
      WHERE user_id = ${userId} AND key = ${key} AND created_at > ${after}`
  })

  const replayOf = (key: {
    readonly userId: UserId
    readonly key: string
    readonly request: string
    readonly now: Date
  }) =>
    Effect.map(
      knownKey({ userId: key.userId, key: key.key, after: new Date(key.now.getTime() - idempotencyWindowMs) }),
      Option.map((known) =>
        known.request_sha256 === createHash("sha256").update(key.request).digest("hex")
          ? { _tag: "Replayed" as const, jobIds: known.job_ids }
          : { _tag: "KeyReused" as const }
      )
    )

  const submitJobs: RepoMethod<"submitJobs"> = ({ userId, jobs, idempotency, maxActive }) =>
    Effect.gen(function* () {
      yield* lockUser(userId)
      if (idempotency !== null) {
        const known = yield* replayOf(idempotency)
        if (Option.isSome(known)) return known.value as SubmitOutcome
      }
      const { active } = yield* countActive(userId)
      if (active + jobs.length > maxActive) return { _tag: "OverCap" as const, active }
      if (idempotency !== null) return yield* insertJobsOnce(idempotency, jobs)
      const rows = jobs.length === 0 ? [] : yield* insertJobs(jobs)
      return { _tag: "Inserted" as const, jobs: [...rows].sort((a, b) => a.seq - b.seq) }
    }).pipe(sql.withTransaction, orRepoError("submitJobs"), Effect.withSpan("Repo.submitJobs"))

  const traced =
    (operation: string) =>
    <A>(self: Effect.Effect<A, unknown>): Effect.Effect<A, RepoError> =>
      self.pipe(orRepoError(operation), Effect.withSpan(`Repo.${operation}`))

  return Repo.of({
    upsertUser: (user, now) => traced("upsertUser")(upsertUser({ id: user.id, email: user.email, now })),
    insertJobs: (jobs) =>
      jobs.length === 0
        ? Effect.succeed([])
        : traced("insertJobs")(Effect.map(insertJobs(jobs), (rows) => [...rows].sort((a, b) => a.seq - b.seq))),
    insertJobsOnce,
    submitJobs,
    replay: (key) => traced("replay")(replayOf(key)),
    usage,
    findJob: (userId, id) => traced("findJob")(findJob({ userId, id })),
    listQueue: (userId, since) => traced("listQueue")(listQueue({ userId, since })),
    cancelPending: (userId, id) => traced("cancelPending")(cancelPending(userId, id, 3)),
    claimNext: (options) => traced("claimNext")(claimNext(options)),
    renewLease: (lease, leaseUntil) => traced("renewLease")(renewLease({ ...lease, leaseUntil })),
    recordProgress: (lease, progress) =>
      traced("recordProgress")(
        recordProgress({
          ...lease,
          step: progress.step,
          stepStatus: progress.stepStatus,
          stepTimings: progress.stepTimings
        })
      ),
    completeJob,
    failJob,
    releaseJob: (lease, retry) =>
      traced("releaseJob")(
        releaseJob({
          ...lease,
          availableAt: retry.availableAt,
          message: retry.lastError?.message ?? null,
          type: retry.lastError?.type ?? null,
          failedStep: retry.lastError?.failedStep ?? null
        })
      ),
    findEmail: (userId, id) => traced("findEmail")(findEmail({ userId, id })),
    listEmails: (userId, page) => traced("listEmails")(listEmails({ userId, ...page })),
    setDisplayed: (userId, id, displayed) => traced("setDisplayed")(setDisplayed({ userId, id, displayed }))
  })
})

/** The `Repo` on the `SqlClient` in context. */
export const layer: Layer.Layer<Repo, never, SqlClient.SqlClient> = Layer.effect(Repo, make)

/**
 * Statements for the job queue's adapters, beside the Repo because they read and write the same rows. Times come
 * from the caller, as for the Repo.
 */
export const makeDispatch = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  // The same transition as `claimNext`, for one given job: the row lock serialises it with a concurrent claim or
  // cancel, and whichever comes second finds the row no longer claimable.
  const claimById = SqlSchema.findOne({
    Request: Schema.Struct({
      id: JobId,
      workerId: Schema.String,
      now: Schema.DateFromSelf,
      leaseUntil: Schema.DateFromSelf
    }),
    Result: JobFromRow,
    execute: ({ id, workerId, now, leaseUntil }) => sql`
      UPDATE queue_items
      SET status = 'processing',
          attempts = attempts + 1,
          lease_owner = ${workerId},
          lease_until = ${leaseUntil},
          started_at = COALESCE(started_at, ${now})
      WHERE id = ${id}
        AND ((status = 'pending' AND available_at <= ${now}) OR (status = 'processing' AND lease_until < ${now}))
      RETURNING *`
  })

  const NextDue = Schema.Struct({ next: Schema.NullOr(Schema.DateFromSelf) })
  // The earliest instant after `now` at which a job becomes claimable: a delayed retry falls due or a lease expires.
  const nextDue = SqlSchema.single({
    Request: Schema.DateFromSelf,
    Result: NextDue,
    execute: (now) => sql`
      SELECT LEAST(
        (SELECT min(available_at) FROM queue_items WHERE status = 'pending' AND available_at > ${now}),
        (SELECT min(lease_until) FROM queue_items WHERE status = 'processing' AND lease_until >= ${now})
      ) AS next`
  })

  const Claimable = Schema.Struct({ id: JobId, seq: Int8, available_at: Schema.DateFromSelf })
  // Jobs that can be claimed right now, in line order: due pending jobs and jobs whose lease has expired.
  const claimable = SqlSchema.findAll({
    Request: Schema.Struct({ now: Schema.DateFromSelf, limit: Schema.Number }),
    Result: Claimable,
    execute: ({ now, limit }) => sql`
      SELECT id, seq, available_at FROM queue_items
      WHERE (status = 'pending' AND available_at <= ${now}) OR (status = 'processing' AND lease_until < ${now})
      ORDER BY seq
      LIMIT ${limit}`
  })

  return {
    claimById: (request: {
      readonly id: JobId
      readonly workerId: string
      readonly now: Date
      readonly leaseUntil: Date
    }): Effect.Effect<Option.Option<Job>, RepoError> =>
      claimById(request).pipe(orRepoError("claimById"), Effect.withSpan("Repo.claimById")),
    nextDue: (now: Date): Effect.Effect<Option.Option<Date>, RepoError> =>
      nextDue(now).pipe(
        Effect.map(({ next }) => Option.fromNullable(next)),
        orRepoError("nextDue"),
        Effect.withSpan("Repo.nextDue")
      ),
    claimable: (
      now: Date,
      limit: number
    ): Effect.Effect<
      ReadonlyArray<{ readonly id: JobId; readonly seq: number; readonly availableAt: Date }>,
      RepoError
    > =>
      claimable({ now, limit }).pipe(
        Effect.map((rows) => rows.map((r) => ({ id: r.id, seq: r.seq, availableAt: r.available_at }))),
        orRepoError("claimable"),
        Effect.withSpan("Repo.claimable")
      )
  }
})

export type Dispatch = Effect.Effect.Success<typeof makeDispatch>
