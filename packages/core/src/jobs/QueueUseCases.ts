import { Effect, Option } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import { BatchId, JobId, parseUuid } from "../Ids"
import { currentDate, randomUuid } from "../Now"
import { type IdempotencyKey, Repo, type SubmitOutcome } from "../store/Repo"
import { activeCapRetryAfterSeconds, TooManyActiveJobs } from "../usage/Guardrails"
import { SubmissionLimits } from "../usage/SubmissionLimits"
import {
  BatchEmpty,
  BatchTooLarge,
  CannotCancel,
  IdempotencyKeyReused,
  InvalidQueueItemId,
  maxBatchItems,
  NewJob,
  QueueItemNotFound,
  queueWindowStart
} from "./Job"

export interface BatchRequest {
  readonly emailTemplate: string
  readonly items: ReadonlyArray<{ readonly recipientName: string; readonly recipientInterest: string }>
}

/**
 * Inserts the jobs, or, when the submission carries an idempotency key already used for the same request, returns the
 * ids that first use created (a retried POST never creates a second set of jobs). A new submission is subject to the
 * user's limits: it takes one from the per-minute allowance, and is refused whole when the user's pending +
 * processing jobs would exceed the cap. A replay creates nothing, so neither limit refuses it.
 */
export const insertSubmission = Effect.fn("Queue.insertSubmission")(function* (
  jobs: ReadonlyArray<NewJob>,
  idempotency: {
    readonly user: AuthUser
    readonly key: string | undefined
    readonly request: unknown
    readonly now: Date
  }
) {
  const repo = yield* Repo
  const limits = yield* SubmissionLimits
  const key: IdempotencyKey | null =
    idempotency.key === undefined
      ? null
      : {
          userId: idempotency.user.id,
          key: idempotency.key,
          request: JSON.stringify(idempotency.request),
          now: idempotency.now
        }
  const known = key === null ? Option.none() : yield* repo.replay(key)
  const outcome: SubmitOutcome = Option.isSome(known)
    ? known.value
    : yield* limits.admit(idempotency.user.id).pipe(
        Effect.zipRight(
          repo.submitJobs({
            userId: idempotency.user.id,
            jobs,
            idempotency: key,
            maxActive: limits.maxActiveJobsPerUser
          })
        )
      )
  switch (outcome._tag) {
    case "Inserted":
      return outcome.jobs.map((job) => job.id)
    case "Replayed":
      return outcome.jobIds
    case "KeyReused":
      return yield* new IdempotencyKeyReused()
    case "OverCap":
      return yield* new TooManyActiveJobs({
        active: outcome.active,
        requested: jobs.length,
        max: limits.maxActiveJobsPerUser,
        retryAfterSeconds: activeCapRetryAfterSeconds
      })
  }
})

/** Queues 1–100 jobs, all or none, in request order. */
export const submitBatch = Effect.fn("Queue.submitBatch")(function* (
  user: AuthUser,
  request: BatchRequest,
  idempotencyKey?: string
) {
  if (request.items.length === 0) return yield* new BatchEmpty()
  if (request.items.length > maxBatchItems) return yield* new BatchTooLarge({ max: maxBatchItems })
  const batchId = BatchId.make(yield* randomUuid)
  const createdAt = yield* currentDate
  const jobs: Array<NewJob> = []
  for (const item of request.items) {
    jobs.push(
      new NewJob({
        id: JobId.make(yield* randomUuid),
        userId: user.id,
        batchId,
        recipientName: item.recipientName,
        recipientInterest: item.recipientInterest,
        emailTemplate: request.emailTemplate,
        createdAt
      })
    )
  }
  return yield* insertSubmission(jobs, {
    user,
    key: idempotencyKey,
    request: { scope: "batch", emailTemplate: request.emailTemplate, items: request.items },
    now: createdAt
  })
})

/** The caller's jobs of the last 24 hours, oldest first, with queue positions. */
export const list = Effect.fn("Queue.list")(function* (user: AuthUser) {
  const repo = yield* Repo
  return yield* repo.listQueue(user.id, queueWindowStart(yield* currentDate))
})

/** Cancels (deletes) one of the caller's pending jobs. */
export const cancel = Effect.fn("Queue.cancel")(function* (user: AuthUser, queueItemId: string) {
  const parsed = parseUuid(queueItemId)
  if (!parsed.ok) return yield* new InvalidQueueItemId({ input: queueItemId, reason: parsed.reason })
  const repo = yield* Repo
  const id = JobId.make(parsed.value)
  const outcome = yield* repo.cancelPending(user.id, id)
  switch (outcome._tag) {
    case "Cancelled":
      return
    case "NotFound":
      return yield* new QueueItemNotFound({ id })
    case "NotCancellable":
      return yield* new CannotCancel({ status: outcome.status })
  }
})
