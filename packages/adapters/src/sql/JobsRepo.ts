import { SqlClient, SqlSchema } from "@effect/sql"
import { JobId, UserId } from "@scribe/core/Ids"
import { type Job, JobStatus, NewJob } from "@scribe/core/jobs/Job"
import * as TraceContext from "@scribe/core/ops/TraceContext"
import type { CancelOutcome, IdempotencyKey, Submission, SubmitOutcome } from "@scribe/core/store/Repo"
import { Effect, Option, Schema } from "effect"
import type { IdempotencyRepo } from "./IdempotencyRepo"
import { repoMethod } from "./RepoMethod"
import { IdRow, Int8, JobFromRow } from "./Rows"

const UserJob = Schema.Struct({ userId: UserId, id: JobId })

/** In line order: the order of the array they were submitted in. */
const bySeq = (jobs: ReadonlyArray<Job>) => [...jobs].sort((a, b) => a.seq - b.seq)

/**
 * The jobs as their users see them: submitted (all or none; under an idempotency key and the user's active-jobs cap),
 * found, cancelled while pending. Their life once claimed is the job queue's (`JobLeases`).
 */
export const make = (idempotency: IdempotencyRepo) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()

    // One statement, so all or none; identity values follow the VALUES order, which is the array order.
    const insertRows = SqlSchema.findAll({
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
    const insert = (jobs: ReadonlyArray<NewJob>) =>
      jobs.length === 0
        ? Effect.succeed<ReadonlyArray<Job>>([])
        : TraceContext.current.pipe(
            Effect.flatMap((traceParent) => insertRows({ jobs, traceParent })),
            Effect.map(bySeq)
          )

    const findJob = SqlSchema.findOne({
      Request: UserJob,
      Result: JobFromRow,
      execute: ({ userId, id }) => sql`SELECT * FROM queue_items WHERE id = ${id} AND user_id = ${userId}`
    })

    const deletePending = SqlSchema.findOne({
      Request: UserJob,
      Result: IdRow,
      execute: ({ userId, id }) => sql`
        DELETE FROM queue_items WHERE id = ${id} AND user_id = ${userId} AND status = 'pending' RETURNING id`
    })

    const statusOf = SqlSchema.findOne({
      Request: UserJob,
      Result: Schema.Struct({ status: JobStatus }),
      execute: ({ userId, id }) => sql`SELECT status FROM queue_items WHERE id = ${id} AND user_id = ${userId}`
    })

    const cancel = (userId: UserId, id: JobId, tries: number): Effect.Effect<CancelOutcome, unknown> =>
      Effect.gen(function* () {
        if (Option.isSome(yield* deletePending({ userId, id }))) return { _tag: "Cancelled" as const }
        const status = yield* statusOf({ userId, id })
        if (Option.isNone(status)) return { _tag: "NotFound" as const }
        // Put back in line between the two statements: try the delete again.
        if (status.value.status === "pending" && tries > 1) return yield* cancel(userId, id, tries - 1)
        return { _tag: "NotCancellable" as const, status: status.value.status }
      })

    // Guardrails: submissions of one user are serialised on the user's row, so the count and the insert are atomic.
    const lockUser = SqlSchema.findOne({
      Request: UserId,
      Result: IdRow,
      execute: (userId) => sql`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`
    })

    const countActive = SqlSchema.single({
      Request: UserId,
      Result: Schema.Struct({ active: Int8 }),
      execute: (userId) => sql`
        SELECT count(*) AS active FROM queue_items WHERE user_id = ${userId} AND status IN ('pending', 'processing')`
    })

    /** Inserts the jobs if the key is new, else answers what the key answers; in the caller's transaction. */
    const insertOnce = (key: IdempotencyKey, jobs: ReadonlyArray<NewJob>) =>
      Effect.gen(function* () {
        if (
          yield* idempotency.remember(
            key,
            jobs.map((j) => j.id)
          )
        ) {
          return { _tag: "Inserted" as const, jobs: yield* insert(jobs) }
        }
        // The key is taken, so it is known: its row is within the window (an older one was just forgotten).
        return yield* Effect.flatten(idempotency.answer(key))
      })

    const submitJobs = ({ userId, jobs, idempotency: key, maxActive }: Submission) =>
      Effect.gen(function* () {
        yield* lockUser(userId)
        if (key !== null) {
          const known = yield* idempotency.answer(key)
          if (Option.isSome(known)) return known.value as SubmitOutcome
        }
        const { active } = yield* countActive(userId)
        if (active + jobs.length > maxActive) return { _tag: "OverCap" as const, active }
        if (key !== null) return yield* insertOnce(key, jobs)
        return { _tag: "Inserted" as const, jobs: yield* insert(jobs) }
      }).pipe(sql.withTransaction, repoMethod("submitJobs"))

    return {
      insertJobs: (jobs: ReadonlyArray<NewJob>) =>
        jobs.length === 0 ? Effect.succeed<ReadonlyArray<Job>>([]) : repoMethod("insertJobs")(insert(jobs)),
      insertJobsOnce: (key: IdempotencyKey, jobs: ReadonlyArray<NewJob>) =>
        repoMethod("insertJobsOnce")(insertOnce(key, jobs).pipe(sql.withTransaction)),
      submitJobs,
      findJob: (userId: UserId, id: JobId) => repoMethod("findJob")(findJob({ userId, id })),
      cancelPending: (userId: UserId, id: JobId) => repoMethod("cancelPending")(cancel(userId, id, 3))
    }
  })
