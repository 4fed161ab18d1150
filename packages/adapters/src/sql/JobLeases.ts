import { SqlClient, type SqlError, SqlSchema } from "@effect/sql"
import { Email } from "@scribe/core/emails/Email"
import { EmailId, JobId, UserId } from "@scribe/core/Ids"
import type { Job } from "@scribe/core/jobs/Job"
import {
  type Completion,
  type Failure,
  type JobProgress,
  JobQueueError,
  type Lease,
  type Offer,
  type Retry
} from "@scribe/core/jobs/JobQueue"
import { defaults as workerDefaults } from "@scribe/core/jobs/WorkerOptions"
import { firstStep, PipelineStep, stepStatus } from "@scribe/core/pipeline/PipelineStep"
import { Config, type ConfigError, Context, Effect, Layer, Option, Schema } from "effect"
import { IdRow, Int8, JobFromRow, MetadataJson, StepTimingsJson } from "./Rows"
import * as UsageRepo from "./UsageRepo"

const LeaseRequest = Schema.Struct({ jobId: JobId, workerId: Schema.String })

/** A claim as the caller times it: `workerId` holds the job from `now` until `leaseUntil`. */
export interface ClaimRequest {
  readonly workerId: string
  readonly now: Date
  readonly leaseUntil: Date
}

/**
 * The SQL side of the job queue, shared by its adapters (`PgJobQueue`, `RedisJobQueue`): a job's life from its claim to
 * its end, every write guarded by the lease (a write by a worker that no longer holds the job changes nothing and
 * answers `false`), and what dispatch asks of the table (what is claimable, when the next job falls due). Times always
 * come from the caller.
 */
export class JobLeases extends Context.Tag("@scribe/adapters/sql/JobLeases")<
  JobLeases,
  {
    /**
     * Takes the first job in line that is pending and due, or processing with an expired lease: to `processing` at the
     * first step, under a lease to `workerId`, the attempt counted.
     */
    readonly claimNext: (request: ClaimRequest) => Effect.Effect<Option.Option<Job>, JobQueueError>
    /** `claimNext` for one given job: `None` when it is not claimable (cancelled, finished, held, not due). */
    readonly claimById: (
      request: ClaimRequest & { readonly id: JobId }
    ) => Effect.Effect<Option.Option<Job>, JobQueueError>
    /** Extends a held lease. */
    readonly renew: (lease: Lease, leaseUntil: Date) => Effect.Effect<boolean, JobQueueError>
    /** The job's step, that step's status words, and the timings so far. */
    readonly progress: (lease: Lease, progress: JobProgress) => Effect.Effect<boolean, JobQueueError>
    /**
     * The job's one email and its completion, in one transaction with its count in the user's usage of the day;
     * `false` (nothing written) also when the job already has an email. The job row stays locked meanwhile.
     */
    readonly complete: (lease: Lease, completion: Completion) => Effect.Effect<boolean, JobQueueError>
    /** The job's failure, in one transaction with its count in the user's usage of the day. */
    readonly fail: (lease: Lease, failure: Failure) => Effect.Effect<boolean, JobQueueError>
    /** Back in line at its original place, due again at `availableAt`. */
    readonly release: (lease: Lease, retry: Retry) => Effect.Effect<boolean, JobQueueError>
    /** When the next job falls due after `now` (a delayed retry, an expiring lease); `None` when none will. */
    readonly nextDue: (now: Date) => Effect.Effect<Option.Option<Date>, JobQueueError>
    /** Up to `limit` jobs claimable at `now`, in line order. */
    readonly claimable: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<Offer>, JobQueueError>
    /** The named workers (see `workerName`) are alive now, by the database's clock. */
    readonly beat: (names: ReadonlyArray<string>) => Effect.Effect<void, JobQueueError>
    /**
     * Hands back the jobs of every worker that has not beaten for `silentMs` (by the database's clock): their leases
     * end now, so the next claim takes them at their place in line; the worker is forgotten until it beats again. A
     * worker that never beat is left to its leases. The jobs handed back.
     */
    readonly reap: (silentMs: number) => Effect.Effect<ReadonlyArray<JobId>, JobQueueError>
  }
>() {}

/** The worker a lease owner (`<worker>/<slot>/<n>`) belongs to: its part before the first `/`. */
export const workerName = (workerId: string) => workerId.split("/", 1)[0] ?? workerId

/** A method at the SQL edge: its failures become the queue's error, its span is `JobLeases.<operation>`. */
const leaseMethod =
  (operation: string) =>
  <A>(self: Effect.Effect<A, unknown>): Effect.Effect<A, JobQueueError> =>
    self.pipe(
      Effect.mapError((cause) => new JobQueueError({ operation, cause })),
      Effect.withSpan(`JobLeases.${operation}`)
    )

/**
 * The order workers take jobs in. `fair`: weighted round-robin across the users with pending jobs (up to a user's
 * weight in a row, each user's own jobs in submission order), the user served least recently first; `fifo`: submission
 * order across everyone.
 */
export type QueueOrder = "fair" | "fifo"

/** `SCRIBE_QUEUE_ORDER` (`fair` unless set to `fifo`). */
export const orderConfig: Config.Config<QueueOrder> = Config.literal(
  "fair",
  "fifo"
)("SCRIBE_QUEUE_ORDER").pipe(Config.withDefault("fair" as const))

/** How claims are limited beyond the order. */
export interface ClaimLimits {
  /**
   * Under the fair order, a user running this many jobs (processing under a live lease) is passed over while another
   * user has a claimable job; when every user with a claimable job is at the cap, the fair order decides alone (no
   * worker idles while a job waits). `null`: no cap.
   */
  readonly maxRunningPerUser: number | null
}

export const noLimits: ClaimLimits = { maxRunningPerUser: null }

/**
 * `SCRIBE_MAX_RUNNING_PER_USER` (a positive integer); unset, half of `SCRIBE_WORKER_CONCURRENCY` (at least 1), so no
 * user holds more than half a worker's slots while another user waits.
 */
export const limitsConfig: Config.Config<ClaimLimits> = Config.all({
  cap: Config.option(Config.integer("SCRIBE_MAX_RUNNING_PER_USER")),
  concurrency: Config.integer("SCRIBE_WORKER_CONCURRENCY").pipe(Config.withDefault(workerDefaults.concurrency))
}).pipe(
  Config.validate({
    message: "SCRIBE_MAX_RUNNING_PER_USER must be a positive integer",
    validation: ({ cap }) => Option.match(cap, { onNone: () => true, onSome: (n) => n >= 1 })
  }),
  Config.map(({ cap, concurrency }) => ({
    maxRunningPerUser: Option.getOrElse(cap, () => Math.max(1, Math.floor(concurrency / 2)))
  }))
)

/** `JobLeases` taking jobs in `order`, within `limits`. */
export const makeWith = (
  order: QueueOrder,
  limits: ClaimLimits = noLimits
): Effect.Effect<typeof JobLeases.Service, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const usage = yield* UsageRepo.make

    // Claimable now: due pending jobs, and jobs whose lease has expired.
    const claimableAt = (now: Date) =>
      sql`((status = 'pending' AND available_at <= ${now}) OR (status = 'processing' AND lease_until < ${now}))`

    // The claim: to `processing` at the first step under a lease, the attempt counted, the first start kept. Recording
    // the step here, in the claim's own statement, means a running job always shows where it is.
    const claimSet = (workerId: string, now: Date, leaseUntil: Date) => sql`
    status = 'processing',
    current_step = ${firstStep},
    step_status = ${stepStatus(firstStep)},
    attempts = attempts + 1,
    lease_owner = ${workerId},
    lease_until = ${leaseUntil},
    claimed_at = ${now},
    started_at = COALESCE(started_at, ${now})`

    const Claim = Schema.Struct({ workerId: Schema.String, now: Schema.DateFromSelf, leaseUntil: Schema.DateFromSelf })

    const claimFifo = SqlSchema.findOne({
      Request: Claim,
      Result: JobFromRow,
      execute: ({ workerId, now, leaseUntil }) => sql`
      UPDATE queue_items q
      SET ${claimSet(workerId, now, leaseUntil)}
      FROM (
        SELECT id FROM queue_items WHERE ${claimableAt(now)}
        ORDER BY seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) next
      WHERE q.id = next.id
      RETURNING q.*`
    })

    // Fair order: a job whose lease expired while its user has nothing pending first (that user would be first in turn
    // anyway); then, walking the users with pending jobs in turn order (`queue_users`, migration 0011), the first
    // claimable job (due pending, or lease expired) of the first user that has one not held by a concurrent claim, so a
    // job whose worker died is back at its place in its user's line. The nested loop stops at the first user that
    // yields a row: a claim locks one job. With a cap, the users walked first are those running fewer than `cap` jobs
    // under a live lease (counted on the user's line index) or alone in line; when none has a claimable job, the walk
    // without the cap decides, so no worker idles while a job waits. One statement: COALESCE evaluates each pick only
    // when the ones before found nothing. The claim's trigger counts the job in its user's turn and moves the user to
    // the back once the turn has served the user's weight (migration 0015).
    const expiredPick = (now: Date) => sql`(
      SELECT id FROM queue_items i WHERE status = 'processing' AND lease_until < ${now}
        AND NOT EXISTS (SELECT 1 FROM queue_users u WHERE u.user_id = i.user_id AND u.pending > 0)
      ORDER BY seq
      LIMIT 1
      FOR UPDATE SKIP LOCKED)`
    const fairPick = (now: Date, cap: number | null) => sql`(
      SELECT head.id FROM queue_users u
      CROSS JOIN LATERAL (
        SELECT id FROM queue_items i
        WHERE i.user_id = u.user_id AND i.status IN ('pending', 'processing') AND ${claimableAt(now)}
        ORDER BY i.seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) head
      WHERE u.pending > 0 ${
        cap === null
          ? sql``
          : sql`AND (NOT EXISTS (SELECT 1 FROM queue_users o WHERE o.pending > 0 AND o.user_id <> u.user_id)
               OR (SELECT count(*) FROM queue_items r
                   WHERE r.user_id = u.user_id AND r.status = 'processing' AND r.lease_until >= ${now}) < ${cap})`
      }
      ORDER BY u.turn
      LIMIT 1)`
    const cap = limits.maxRunningPerUser
    const claimFair = SqlSchema.findOne({
      Request: Claim,
      Result: JobFromRow,
      execute: ({ workerId, now, leaseUntil }) => sql`
      UPDATE queue_items q
      SET ${claimSet(workerId, now, leaseUntil)}
      WHERE q.id = COALESCE(${expiredPick(now)}, ${cap === null ? sql`` : sql`${fairPick(now, cap)}, `}${fairPick(now, null)})
      RETURNING q.*`
    })
    const claimNext = (request: typeof Claim.Type) => (order === "fifo" ? claimFifo(request) : claimFair(request))

    // The same transition for one given job: the row lock serialises it with a concurrent claim or cancel, and
    // whichever comes second finds the row no longer claimable.
    const claimById = SqlSchema.findOne({
      Request: Schema.Struct({ ...Claim.fields, id: JobId }),
      Result: JobFromRow,
      execute: ({ id, workerId, now, leaseUntil }) => sql`
      UPDATE queue_items SET ${claimSet(workerId, now, leaseUntil)}
      WHERE id = ${id} AND ${claimableAt(now)}
      RETURNING *`
    })

    /** Runs an update guarded by the lease; true when it changed the row. */
    const whileHeld = <I, II>(
      Request: Schema.Schema<I, II>,
      update: (request: II) => Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>
    ): ((request: I) => Effect.Effect<boolean, unknown>) => {
      const run = SqlSchema.findOne({ Request, Result: IdRow, execute: update })
      return (request) => Effect.map(run(request), Option.isSome)
    }

    const renew = whileHeld(
      Schema.Struct({ ...LeaseRequest.fields, leaseUntil: Schema.DateFromSelf }),
      ({ jobId, workerId, leaseUntil }) => sql`
      UPDATE queue_items SET lease_until = ${leaseUntil}
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING id`
    )

    const progress = whileHeld(
      Schema.Struct({
        ...LeaseRequest.fields,
        step: PipelineStep,
        stepStatus: Schema.String,
        stepTimings: StepTimingsJson
      }),
      ({ jobId, workerId, step, stepStatus, stepTimings }) => sql`
      UPDATE queue_items
      SET current_step = ${step}, step_status = ${stepStatus}, step_timings = ${stepTimings}::jsonb
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING id`
    )

    // The last error replaces the stored one field by field, as in the reference implementation.
    const release = whileHeld(
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

    const markFailed = SqlSchema.findOne({
      Request: Schema.Struct({
        ...LeaseRequest.fields,
        message: Schema.String,
        type: Schema.String,
        failedStep: Schema.NullOr(PipelineStep),
        stepTimings: StepTimingsJson,
        now: Schema.DateFromSelf
      }),
      Result: Schema.Struct({ user_id: UserId }),
      execute: ({ jobId, workerId, message, type, failedStep, stepTimings, now }) => sql`
      UPDATE queue_items
      SET status = 'failed', current_step = NULL, step_status = NULL, step_timings = ${stepTimings}::jsonb,
          error_message = ${message}, error_type = ${type}, failed_step = ${failedStep}, finished_at = ${now},
          lease_owner = NULL, lease_until = NULL
      WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      RETURNING user_id`
    })

    const lockHeld = SqlSchema.findOne({
      Request: LeaseRequest,
      Result: IdRow,
      execute: ({ jobId, workerId }) => sql`
      SELECT id FROM queue_items WHERE id = ${jobId} AND status = 'processing' AND lease_owner = ${workerId}
      FOR UPDATE`
    })

    // `job_id` is unique: a job that already has an email inserts nothing.
    const insertEmail = SqlSchema.findOne({
      Request: Schema.Struct({ email: Schema.Struct(Email.fields), jobId: JobId, metadata: MetadataJson }),
      Result: IdRow,
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

    // The earliest instant after `now` at which a job becomes claimable: a delayed retry falls due or a lease expires.
    const nextDue = SqlSchema.single({
      Request: Schema.DateFromSelf,
      Result: Schema.Struct({ next: Schema.NullOr(Schema.DateFromSelf) }),
      execute: (now) => sql`
      SELECT LEAST(
        (SELECT min(available_at) FROM queue_items WHERE status = 'pending' AND available_at > ${now}),
        (SELECT min(lease_until) FROM queue_items WHERE status = 'processing' AND lease_until >= ${now})
      ) AS next`
    })

    // Jobs that can be claimed right now, in line order.
    const claimable = SqlSchema.findAll({
      Request: Schema.Struct({ now: Schema.DateFromSelf, limit: Schema.Number }),
      Result: Schema.Struct({ id: JobId, seq: Int8, available_at: Schema.DateFromSelf }),
      execute: ({ now, limit }) => sql`
      SELECT id, seq, available_at FROM queue_items WHERE ${claimableAt(now)}
      ORDER BY seq
      LIMIT ${limit}`
    })

    // A lease that ended: long before any caller's `now`.
    const ended = new Date(0)
    const reap = SqlSchema.findAll({
      Request: Schema.Number,
      Result: Schema.Struct({ id: JobId }),
      execute: (silentMs) => sql`
      WITH gone AS (
        DELETE FROM queue_workers WHERE beat_at < now() - ${silentMs} * interval '1 millisecond' RETURNING name
      )
      UPDATE queue_items SET lease_until = ${ended}
      WHERE status = 'processing' AND lease_until > ${ended}
        AND split_part(lease_owner, '/', 1) IN (SELECT name FROM gone)
      RETURNING id`
    })
    const beatOne = (name: string) => sql`
      INSERT INTO queue_workers (name, beat_at) VALUES (${name}, now())
      ON CONFLICT (name) DO UPDATE SET beat_at = EXCLUDED.beat_at`

    return JobLeases.of({
      beat: (names) => leaseMethod("beat")(Effect.forEach(names, beatOne, { discard: true })),
      reap: (silentMs) => leaseMethod("reap")(Effect.map(reap(silentMs), (rows) => rows.map((r) => r.id))),
      claimNext: (request) => leaseMethod("claimNext")(claimNext(request)),
      claimById: (request) => leaseMethod("claimById")(claimById(request)),
      renew: (lease, leaseUntil) => leaseMethod("renew")(renew({ ...lease, leaseUntil })),
      progress: (lease, { step, stepTimings }) =>
        leaseMethod("progress")(progress({ ...lease, step, stepStatus: stepStatus(step), stepTimings })),
      complete: (lease, completion) =>
        Effect.gen(function* () {
          if (Option.isNone(yield* lockHeld(lease))) return false
          const { email, now } = completion
          if (Option.isNone(yield* insertEmail({ email, jobId: lease.jobId, metadata: email.metadata }))) return false
          yield* markCompleted({
            jobId: lease.jobId,
            emailId: email.id,
            generationTime: completion.generationTime,
            stepTimings: completion.stepTimings,
            now
          })
          yield* usage.record(email.userId, now, { completed: true, usage: completion.usage })
          return true
        }).pipe(sql.withTransaction, leaseMethod("complete")),
      fail: (lease, failure) =>
        Effect.gen(function* () {
          const failed = yield* markFailed({ ...lease, ...failure })
          if (Option.isNone(failed)) return false
          yield* usage.record(failed.value.user_id, failure.now, { completed: false })
          return true
        }).pipe(sql.withTransaction, leaseMethod("fail")),
      release: (lease, retry) =>
        leaseMethod("release")(
          release({
            ...lease,
            availableAt: retry.availableAt,
            message: retry.lastError?.message ?? null,
            type: retry.lastError?.type ?? null,
            failedStep: retry.lastError?.failedStep ?? null
          })
        ),
      nextDue: (now) => leaseMethod("nextDue")(Effect.map(nextDue(now), ({ next }) => Option.fromNullable(next))),
      claimable: (now, limit) =>
        leaseMethod("claimable")(
          Effect.map(claimable({ now, limit }), (rows) =>
            rows.map((r): Offer => ({ id: r.id, seq: r.seq, availableAt: r.available_at }))
          )
        )
    })
  })

/** `JobLeases` in the default (fair) order. */
export const make = makeWith("fair")

/** `JobLeases` in `order` (within `limits`) on the `SqlClient` in context. */
export const layerWith = (
  order: QueueOrder,
  limits: ClaimLimits = noLimits
): Layer.Layer<JobLeases, never, SqlClient.SqlClient> => Layer.effect(JobLeases, makeWith(order, limits))

/** `JobLeases` (fair order) on the `SqlClient` in context. */
export const layer: Layer.Layer<JobLeases, never, SqlClient.SqlClient> = layerWith("fair")

/** `JobLeases` in the order `SCRIBE_QUEUE_ORDER` names, within `SCRIBE_MAX_RUNNING_PER_USER` (`limitsConfig`). */
export const layerConfig: Layer.Layer<JobLeases, ConfigError.ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
  Effect.map(Config.all([orderConfig, limitsConfig]), ([order, limits]) => layerWith(order, limits))
)
