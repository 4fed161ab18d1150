import { Effect } from "effect"
import { BatchId, JobId, parseUuid } from "./Ids"
import {
  BatchEmpty,
  BatchTooLarge,
  CannotCancel,
  InvalidQueueItemId,
  maxBatchItems,
  NewJob,
  QueueItemNotFound,
  queueWindowStart
} from "./Job"
import { currentDate, randomUuid } from "./Now"
import { Repo } from "./Repo"
import type { AuthUser } from "./User"

export interface BatchRequest {
  readonly emailTemplate: string
  readonly items: ReadonlyArray<{ readonly recipientName: string; readonly recipientInterest: string }>
}

/** Queues 1–100 jobs, all or none, in request order. */
export const submitBatch = Effect.fn("Queue.submitBatch")(function* (user: AuthUser, request: BatchRequest) {
  if (request.items.length === 0) return yield* new BatchEmpty()
  if (request.items.length > maxBatchItems) return yield* new BatchTooLarge({ max: maxBatchItems })
  const repo = yield* Repo
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
  const inserted = yield* repo.insertJobs(jobs)
  return inserted.map((job) => job.id)
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
