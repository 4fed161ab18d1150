import { PipelineStep } from "@scribe/core/pipeline/PipelineStep"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ValidationError } from "./ApiErrors"
import {
  type BatchResult,
  type BatchSubmission,
  type CommonError,
  type Email,
  type GenerateRequest,
  type QueueItem,
  ScribeClient,
  type SubmitBatchError,
  type SubmitOptions,
  type TaskStatus
} from "./ScribeClient"
import type {
  EmailNotFound,
  IdempotencyKeyReused,
  SubmissionRateLimited,
  TaskNotFound,
  TooManyActiveJobs
} from "./ServiceErrors"

/** The task ended in `FAILURE`: why, and in which pipeline step (`null` when it failed outside one). */
export class TaskFailed extends Schema.TaggedError<TaskFailed>()("TaskFailed", {
  taskId: Schema.String,
  message: Schema.String,
  type: Schema.String,
  failedStep: Schema.NullOr(PipelineStep)
}) {
  /** No HTTP error: the status poll answered 200 with the task's `FAILURE`. */
  get httpStatus(): undefined {
    return undefined
  }
}

/** How often to poll. */
export interface PollOptions {
  /** Time between two polls; 2 seconds by default. The first poll is immediate. */
  readonly interval?: Duration.DurationInput
}

/** Options of `waitForTask` and `generateAndWait`. */
export interface WaitOptions extends PollOptions {
  /** Called with every polled status, e.g. to show `result.current_step` while `STARTED`. */
  readonly onStatus?: (status: TaskStatus) => Effect.Effect<void>
}

/** The interval the service recommends for polling. */
export const defaultInterval: Duration.Duration = Duration.seconds(2)

/** The batch's jobs as the queue lists them, in the order of the ids asked for; finished-and-expired or cancelled jobs are absent. */
export type BatchSnapshot = ReadonlyArray<QueueItem>

const isTerminal = (status: TaskStatus) => status.status === "SUCCESS" || status.status === "FAILURE"

const isActive = (item: QueueItem) => item.status === "pending" || item.status === "processing"

/** Polls `poll` now and then every `interval`, up to and including the first value for which `done` holds. */
const pollUntil = <A, E, R>(poll: Effect.Effect<A, E, R>, done: (a: A) => boolean, options?: PollOptions) =>
  Stream.repeatEffectWithSchedule(poll, Schedule.spaced(options?.interval ?? defaultInterval)).pipe(
    Stream.takeUntil(done)
  )

/**
 * A task's statuses, polled every 2 s (configurable), ending with the first `SUCCESS` or `FAILURE`. Fails with
 * `TaskNotFound` (404) or `Unauthenticated` (401) at once; transient network failures are retried by the client.
 */
export const watchTask = (
  taskId: string,
  options?: PollOptions
): Stream.Stream<TaskStatus, TaskNotFound | CommonError, ScribeClient> =>
  Stream.unwrap(Effect.map(ScribeClient, (client) => pollUntil(client.status(taskId), isTerminal, options)))

/**
 * Waits until the task finishes and returns its email (fetched by `email_id`), or fails with `TaskFailed` carrying
 * the failed step. Stops on interruption, 404 and 401.
 */
export const waitForTask = (
  taskId: string,
  options?: WaitOptions
): Effect.Effect<Email, TaskFailed | TaskNotFound | EmailNotFound | CommonError, ScribeClient> =>
  Effect.gen(function* () {
    const client = yield* ScribeClient
    const onStatus = options?.onStatus
    const statuses = watchTask(taskId, options)
    const last = yield* Stream.runLast(onStatus === undefined ? statuses : Stream.tap(statuses, onStatus))
    // the stream only ends on a terminal status: an empty one would be a bug in the stream itself
    const status = yield* Effect.orDie(last)
    if (status.status === "FAILURE") {
      return yield* new TaskFailed({
        taskId,
        message: status.error?.message ?? "Unknown error",
        type: status.error?.type ?? "Error",
        failedStep: status.error?.failed_step ?? null
      })
    }
    const result = status.result
    if (result === null || !("email_id" in result)) {
      return yield* Effect.dieMessage(`Task ${taskId} succeeded without an email id`)
    }
    return yield* client.getEmail(result.email_id).pipe(Effect.catchTag("InvalidEmailId", (e) => Effect.die(e)))
  }).pipe(Effect.withSpan("Polling.waitForTask", { attributes: { taskId } }))

/** Queues one email and waits for it: `generate` then `waitForTask`. */
export const generateAndWait = (
  request: GenerateRequest,
  options?: WaitOptions & SubmitOptions
): Effect.Effect<
  Email,
  | ValidationError
  | IdempotencyKeyReused
  | TooManyActiveJobs
  | SubmissionRateLimited
  | TaskFailed
  | TaskNotFound
  | EmailNotFound
  | CommonError,
  ScribeClient
> =>
  Effect.flatMap(ScribeClient, (client) => client.generate(request, options)).pipe(
    Effect.flatMap(({ task_id }) => waitForTask(task_id, options)),
    Effect.withSpan("Polling.generateAndWait")
  )

/**
 * Snapshots of the given jobs, polled every 2 s (configurable) from the queue listing, ending with the first snapshot
 * in which none is `pending` or `processing`.
 */
export const watchBatch = (
  ids: ReadonlyArray<string>,
  options?: PollOptions
): Stream.Stream<BatchSnapshot, CommonError, ScribeClient> =>
  Stream.unwrap(
    Effect.map(ScribeClient, (client) => {
      const snapshot = Effect.map(client.listQueue(), (items): BatchSnapshot => {
        const byId = new Map(items.map((item) => [item.id, item]))
        return ids.flatMap((id) => byId.get(id) ?? [])
      })
      return pollUntil(snapshot, (items) => !items.some(isActive), options)
    })
  )

/** Queues a batch and returns its ids with the stream of its snapshots (see `watchBatch`). */
export const submitBatchAndWatch = (
  request: BatchSubmission,
  options?: PollOptions & SubmitOptions
): Effect.Effect<
  BatchResult & { readonly snapshots: Stream.Stream<BatchSnapshot, CommonError, ScribeClient> },
  SubmitBatchError,
  ScribeClient
> =>
  Effect.flatMap(ScribeClient, (client) => client.submitBatch(request, options)).pipe(
    Effect.map((result) => ({ ...result, snapshots: watchBatch(result.queue_item_ids, options) }))
  )

/** Cancels a pending job (`DELETE /api/queue/{id}`). */
export const cancel = (queueItemId: string) => Effect.flatMap(ScribeClient, (client) => client.cancel(queueItemId))
