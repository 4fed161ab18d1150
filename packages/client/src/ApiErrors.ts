import { HttpApiSchema } from "@effect/platform"
import { Unauthenticated } from "@scribe/core/auth/TokenVerifier"
import { EmailNotFound, InvalidEmailId } from "@scribe/core/emails/Email"
import {
  BatchEmpty,
  BatchTooLarge,
  CannotCancel,
  IdempotencyKeyReused,
  InvalidQueueItemId,
  JobStatus,
  QueueItemNotFound,
  TaskNotFound
} from "@scribe/core/jobs/Job"
import { SubmissionRateLimited, TooManyActiveJobs } from "@scribe/core/usage/Guardrails"
import { ParseResult, Schema } from "effect"

/**
 * The FastAPI wire form `{"detail": "<sentence>"}` for a domain error: encoding renders the sentence, decoding
 * recognises it and rebuilds the typed error, so several errors can share one status code.
 */
export const detailError = <A, I, R>(
  error: Schema.Schema<A, I, R>,
  options: {
    readonly status: number
    readonly render: (error: A) => string
    readonly parse: (detail: string) => A | undefined
    readonly description: string
  }
) =>
  Schema.transformOrFail(Schema.Struct({ detail: Schema.String }), Schema.typeSchema(error), {
    strict: true,
    decode: (body, _, ast) => {
      const decoded = options.parse(body.detail)
      return decoded === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, body, "not this error's sentence"))
        : ParseResult.succeed(decoded)
    },
    encode: (value) => ParseResult.succeed({ detail: options.render(value) })
  }).annotations({
    ...HttpApiSchema.annotations({ status: options.status }),
    description: options.description
  })

const exactly =
  <A>(sentence: string, make: () => A) =>
  (detail: string) =>
    detail === sentence ? make() : undefined

const prefixed =
  <A>(prefix: string, make: (rest: string) => A) =>
  (detail: string) =>
    detail.startsWith(prefix) ? make(detail.slice(prefix.length)) : undefined

/** 401: no token, or one that is malformed, expired, forged, or not a signed-in user's. */
export const UnauthorizedError = detailError(Unauthenticated, {
  status: 401,
  description: "Missing, malformed, expired or wrongly signed bearer token",
  render: (e) => e.reason,
  parse: (detail) => new Unauthenticated({ reason: detail })
})

export const emailNotFoundSentence = "Email not found or you don't have permission to access it"
export const EmailNotFoundError = detailError(EmailNotFound, {
  status: 404,
  description: "No such email among the caller's",
  render: () => emailNotFoundSentence,
  parse: exactly(emailNotFoundSentence, () => new EmailNotFound({ id: "" }))
})

export const InvalidEmailIdError = detailError(InvalidEmailId, {
  status: 400,
  description: "The email id is not a UUID",
  render: (e) => `Invalid email ID format: ${e.reason}`,
  parse: prefixed("Invalid email ID format: ", (reason) => new InvalidEmailId({ input: "", reason }))
})

export const TaskNotFoundError = detailError(TaskNotFound, {
  status: 404,
  description: "Unknown task, another user's, or finished more than an hour ago",
  render: () => "Task not found",
  parse: exactly("Task not found", () => new TaskNotFound({ id: "" }))
})

export const QueueItemNotFoundError = detailError(QueueItemNotFound, {
  status: 404,
  description: "No such queue item among the caller's",
  render: () => "Queue item not found",
  parse: exactly("Queue item not found", () => new QueueItemNotFound({ id: "" }))
})

export const InvalidQueueItemIdError = detailError(InvalidQueueItemId, {
  status: 400,
  description: "The queue item id is not a UUID",
  render: (e) => `Invalid queue item ID format: ${e.reason}`,
  parse: prefixed("Invalid queue item ID format: ", (reason) => new InvalidQueueItemId({ input: "", reason }))
})

const cannotCancelPattern = /^Cannot cancel item with status '(\w+)'$/
export const CannotCancelError = detailError(CannotCancel, {
  status: 400,
  description: "Only pending items can be cancelled",
  render: (e) => `Cannot cancel item with status '${e.status}'`,
  parse: (detail) => {
    const status = cannotCancelPattern.exec(detail)?.[1]
    return Schema.is(JobStatus)(status) ? new CannotCancel({ status }) : undefined
  }
})

export const BatchTooLargeError = detailError(BatchTooLarge, {
  status: 400,
  description: "More than 100 items in one batch",
  render: (e) => `Maximum ${e.max} items per batch`,
  parse: (detail) => {
    const max = /^Maximum (\d+) items per batch$/.exec(detail)?.[1]
    return max === undefined ? undefined : new BatchTooLarge({ max: Number(max) })
  }
})

export const idempotencyKeyReusedSentence =
  "Idempotency-Key was already used for a different request; use a new key for a new submission"
export const IdempotencyKeyReusedError = detailError(IdempotencyKeyReused, {
  status: 409,
  description: "The Idempotency-Key was used, within 24 hours, for a different request",
  render: () => idempotencyKeyReusedSentence,
  parse: exactly(idempotencyKeyReusedSentence, () => new IdempotencyKeyReused())
})

export const batchEmptySentence = "At least 1 item is required per batch"
export const BatchEmptyError = detailError(BatchEmpty, {
  status: 400,
  description: "A batch with no items",
  render: () => batchEmptySentence,
  parse: exactly(batchEmptySentence, () => new BatchEmpty())
})

const tooManyActivePattern =
  /^Too many active jobs: you have (\d+) pending or processing and asked for (\d+) more; the limit is (\d+) per user\. Retry after (\d+) seconds\.$/
/**
 * 429: the submission would take the caller's pending + processing jobs past the per-user cap; nothing was queued.
 * The response carries `Retry-After` (seconds).
 */
export const TooManyActiveJobsError = detailError(TooManyActiveJobs, {
  status: 429,
  description:
    "Too many active jobs: the submission would exceed the per-user cap on pending + processing jobs; nothing was " +
    "queued. Retry after the `Retry-After` header's seconds (also in the sentence).",
  render: (e) =>
    `Too many active jobs: you have ${e.active} pending or processing and asked for ${e.requested} more; ` +
    `the limit is ${e.max} per user. Retry after ${e.retryAfterSeconds} seconds.`,
  parse: (detail) => {
    const m = tooManyActivePattern.exec(detail)
    return m === null
      ? undefined
      : new TooManyActiveJobs({
          active: Number(m[1]),
          requested: Number(m[2]),
          max: Number(m[3]),
          retryAfterSeconds: Number(m[4])
        })
  }
})

const rateLimitedPattern =
  /^Too many submissions: the limit is (\d+) per minute per user\. Retry after (\d+) seconds\.$/
/** 429: the caller made more submissions in the last minute than allowed. The response carries `Retry-After`. */
export const SubmissionRateLimitedError = detailError(SubmissionRateLimited, {
  status: 429,
  description:
    "Too many submissions per minute for this user; nothing was queued. Retry after the `Retry-After` header's " +
    "seconds (also in the sentence).",
  render: (e) =>
    `Too many submissions: the limit is ${e.limit} per minute per user. Retry after ${e.retryAfterSeconds} seconds.`,
  parse: (detail) => {
    const m = rateLimitedPattern.exec(detail)
    return m === null ? undefined : new SubmissionRateLimited({ limit: Number(m[1]), retryAfterSeconds: Number(m[2]) })
  }
})

/** One violated field, as FastAPI reports it: `loc` starts with `body`, `query` or `path`. */
export class FieldError extends Schema.Class<FieldError>("FieldError")({
  loc: Schema.Array(Schema.Union(Schema.String, Schema.Int)),
  msg: Schema.String,
  type: Schema.String
}) {}

/** 422: the request's body, query or path did not validate; one entry per violated field. */
export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  detail: Schema.Array(FieldError)
}) {}

export const ValidationErrorBody = Schema.transform(
  Schema.Struct({ detail: Schema.Array(FieldError) }),
  Schema.typeSchema(ValidationError),
  {
    strict: true,
    decode: (body) => new ValidationError({ detail: body.detail }),
    encode: (error) => ({ detail: error.detail })
  }
).annotations({
  ...HttpApiSchema.annotations({ status: 422 }),
  identifier: "HTTPValidationError",
  description: "Validation failed; one entry per violated field"
})

/** 500: something failed on the server; the body never carries internals. */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()("InternalServerError", {}) {}

export const internalErrorSentence = "Internal Server Error"
export const InternalServerErrorBody = detailError(InternalServerError, {
  status: 500,
  description: "Unexpected server failure",
  render: () => internalErrorSentence,
  parse: () => new InternalServerError()
})
