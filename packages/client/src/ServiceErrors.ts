import * as TokenVerifier from "@scribe/core/auth/TokenVerifier"
import * as Email from "@scribe/core/emails/Email"
import * as Job from "@scribe/core/jobs/Job"
import * as Guardrails from "@scribe/core/usage/Guardrails"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"

/**
 * The domain errors the service answers with, as the SDK raises them: each is the core error (its `_tag`, its fields,
 * `instanceof` the core class) plus the HTTP status it travels with and, as `message`, the service's `detail`
 * sentence. The contract's decoders build these; the server encodes the core errors with the same sentences.
 */

// biome-ignore lint/suspicious/noExplicitAny: a mixin's base must be constructible with any arguments
type ErrorClass = new (...args: Array<any>) => Error

/**
 * The SDK class of a core error: the core class itself (its `_tag`, its fields, `instanceof`) plus `httpStatus`, the
 * status it travels with, and, as `message`, the `detail` sentence the service renders for it.
 */
export const raisedAs = <Base extends ErrorClass, const Status extends number>(
  base: Base,
  httpStatus: Status,
  detail: (error: InstanceType<Base>) => string
) => {
  class Raised extends base {
    get httpStatus(): Status {
      return httpStatus
    }
    override get message(): string {
      return detail(this as InstanceType<Base>)
    }
  }
  return Raised
}

/** 401: no token, or one that is malformed, expired, forged or not a signed-in user's; also when `getToken` failed. */
export class Unauthenticated extends raisedAs(TokenVerifier.Unauthenticated, 401, (error) => error.reason) {}

/** 404: no such email among the caller's. */
export class EmailNotFound extends raisedAs(
  Email.EmailNotFound,
  404,
  () => "Email not found or you don't have permission to access it"
) {}

/** 400: the email id is not a UUID. */
export class InvalidEmailId extends raisedAs(
  Email.InvalidEmailId,
  400,
  (error) => `Invalid email ID format: ${error.reason}`
) {}

/** 404: an unknown task, another user's, or one finished more than an hour ago. */
export class TaskNotFound extends raisedAs(Job.TaskNotFound, 404, () => "Task not found") {}

/** 404: no such queue item among the caller's. */
export class QueueItemNotFound extends raisedAs(Job.QueueItemNotFound, 404, () => "Queue item not found") {}

/** 400: the queue item id is not a UUID. */
export class InvalidQueueItemId extends raisedAs(
  Job.InvalidQueueItemId,
  400,
  (error) => `Invalid queue item ID format: ${error.reason}`
) {}

/** 400: only a pending item can be cancelled; `status` is the item's (`processing`, `completed`, `failed`). */
export class CannotCancel extends raisedAs(
  Job.CannotCancel,
  400,
  (error) => `Cannot cancel item with status '${error.status}'`
) {}

/** 400: more than `max` (100) items in one batch. */
export class BatchTooLarge extends raisedAs(
  Job.BatchTooLarge,
  400,
  (error) => `Maximum ${error.max} items per batch`
) {}

/** 400: a batch with no items. */
export class BatchEmpty extends raisedAs(Job.BatchEmpty, 400, () => "At least 1 item is required per batch") {}

/** 409: the `Idempotency-Key` was used, within 24 hours, for a different request. */
export class IdempotencyKeyReused extends raisedAs(
  Job.IdempotencyKeyReused,
  409,
  () => "Idempotency-Key was already used for a different request; use a new key for a new submission"
) {}

/** 429: the submission would take the caller past the cap on pending + processing jobs; nothing was queued. */
export class TooManyActiveJobs extends raisedAs(
  Guardrails.TooManyActiveJobs,
  429,
  (error) =>
    `Too many active jobs: you have ${error.active} pending or processing and asked for ${error.requested} more; ` +
    `the limit is ${error.max} per user. Retry after ${error.retryAfterSeconds} seconds.`
) {}

/** 429: more submissions in the last minute than allowed; nothing was queued. */
export class SubmissionRateLimited extends raisedAs(
  Guardrails.SubmissionRateLimited,
  429,
  (error) =>
    `Too many submissions: the limit is ${error.limit} per minute per user. Retry after ${error.retryAfterSeconds} seconds.`
) {}

/** The SDK class of each domain error the contract declares, by tag. */
interface RaisedByTag {
  readonly Unauthenticated: Unauthenticated
  readonly EmailNotFound: EmailNotFound
  readonly InvalidEmailId: InvalidEmailId
  readonly TaskNotFound: TaskNotFound
  readonly QueueItemNotFound: QueueItemNotFound
  readonly InvalidQueueItemId: InvalidQueueItemId
  readonly CannotCancel: CannotCancel
  readonly BatchTooLarge: BatchTooLarge
  readonly BatchEmpty: BatchEmpty
  readonly IdempotencyKeyReused: IdempotencyKeyReused
  readonly TooManyActiveJobs: TooManyActiveJobs
  readonly SubmissionRateLimited: SubmissionRateLimited
}

/** Every domain error the contract declares, as the SDK raises it. */
export type ServiceError = RaisedByTag[keyof RaisedByTag]

/** An error union with each core domain error replaced by its SDK class. */
export type Surfaced<E> = E extends { readonly _tag: infer Tag }
  ? Tag extends keyof RaisedByTag
    ? RaisedByTag[Tag]
    : E
  : E

const isRaised = (error: unknown) =>
  Predicate.hasProperty(error, "httpStatus") && Predicate.hasProperty(error, "message")

/**
 * The contract types its errors as the core errors the server fails with; its decoders build the SDK classes above.
 * This states that to the type system and holds it at run time: an error without `httpStatus` would be a contract
 * decoder that forgot its SDK class, a defect.
 */
export function surfaced<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Surfaced<E>, R>
export function surfaced<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, unknown, R> {
  return Effect.catchAll(self, (error) => (isRaised(error) ? Effect.fail(error) : Effect.die(error)))
}
