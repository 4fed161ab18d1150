import { SqlClient, type SqlError, SqlSchema } from "@effect/sql"
import { Email } from "@scribe/core/emails/Email"
import { EmailId, JobId, UserId } from "@scribe/core/Ids"
import type { Completion, Failure, JobProgress, Lease, Retry } from "@scribe/core/jobs/JobQueue"
import { PipelineStep, stepStatus } from "@scribe/core/pipeline/PipelineStep"
import { Effect, Option, Schema } from "effect"
import { IdRow, MetadataJson, StepTimingsJson } from "./Rows"
import * as UsageRepo from "./UsageRepo"

const LeaseRequest = Schema.Struct({ jobId: JobId, workerId: Schema.String })

/**
 * The settling side of `JobLeases`: a held job's renewals, progress, completion with its email, failure and release
 * for a retry, every write guarded by the lease (a write by a worker that no longer holds the job changes nothing and
 * answers `false`). Failures are the driver's; `JobLeases` names them.
 */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  const usage = yield* UsageRepo.make

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

  return {
    renew: (lease: Lease, leaseUntil: Date) => renew({ ...lease, leaseUntil }),
    progress: (lease: Lease, { step, stepTimings }: JobProgress) =>
      progress({ ...lease, step, stepStatus: stepStatus(step), stepTimings }),
    complete: (lease: Lease, completion: Completion) =>
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
      }).pipe(sql.withTransaction),
    fail: (lease: Lease, failure: Failure) =>
      Effect.gen(function* () {
        const failed = yield* markFailed({ ...lease, ...failure })
        if (Option.isNone(failed)) return false
        yield* usage.record(failed.value.user_id, failure.now, { completed: false })
        return true
      }).pipe(sql.withTransaction),
    release: (lease: Lease, retry: Retry) =>
      release({
        ...lease,
        availableAt: retry.availableAt,
        message: retry.lastError?.message ?? null,
        type: retry.lastError?.type ?? null,
        failedStep: retry.lastError?.failedStep ?? null
      })
  }
})
