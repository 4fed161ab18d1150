import { HttpApiSchema } from "@effect/platform"
import * as TokenVerifier from "@scribe/core/auth/TokenVerifier"
import * as Email from "@scribe/core/emails/Email"
import * as Job from "@scribe/core/jobs/Job"
import * as Guardrails from "@scribe/core/usage/Guardrails"
import { ParseResult, Schema } from "effect"
import * as ServiceErrors from "./ServiceErrors"

/** What every error the service answers carries once decoded: its HTTP status, and its sentence as `message`. */
export interface Raised {
  readonly httpStatus: number
  readonly message: string
}

/**
 * The FastAPI wire form `{"detail": "<sentence>"}` for a domain error: encoding renders the sentence (the `message`
 * of its SDK class, `raised`), decoding recognises it and builds the SDK class, so several errors can share one
 * status code.
 */
export const detailError = <A, I, R, E extends A>(
  error: Schema.Schema<A, I, R>,
  options: {
    readonly status: number
    readonly raised: new (error: A) => E & Raised
    readonly parse: (detail: string) => (E & Raised) | undefined
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
    encode: (value) => ParseResult.succeed({ detail: new options.raised(value).message })
  }).annotations({
    ...HttpApiSchema.annotations({ status: options.status }),
    description: options.description
  })

/** Recognises the one sentence `make()` renders. */
const exactly =
  <E extends Raised>(make: () => E) =>
  (detail: string) => {
    const error = make()
    return detail === error.message ? error : undefined
  }

const prefixed =
  <E>(prefix: string, make: (rest: string) => E) =>
  (detail: string) =>
    detail.startsWith(prefix) ? make(detail.slice(prefix.length)) : undefined

/** 401: no token, or one that is malformed, expired, forged, or not a signed-in user's. */
export const UnauthorizedError = detailError(TokenVerifier.Unauthenticated, {
  status: 401,
  description: "Missing, malformed, expired or wrongly signed bearer token",
  raised: ServiceErrors.Unauthenticated,
  parse: (detail) => new ServiceErrors.Unauthenticated({ reason: detail })
})

export const EmailNotFoundError = detailError(Email.EmailNotFound, {
  status: 404,
  description: "No such email among the caller's",
  raised: ServiceErrors.EmailNotFound,
  parse: exactly(() => new ServiceErrors.EmailNotFound({ id: "" }))
})

export const InvalidEmailIdError = detailError(Email.InvalidEmailId, {
  status: 400,
  description: "The email id is not a UUID",
  raised: ServiceErrors.InvalidEmailId,
  parse: prefixed("Invalid email ID format: ", (reason) => new ServiceErrors.InvalidEmailId({ input: "", reason }))
})

export const TaskNotFoundError = detailError(Job.TaskNotFound, {
  status: 404,
  description: "Unknown task, another user's, or finished more than an hour ago",
  raised: ServiceErrors.TaskNotFound,
  parse: exactly(() => new ServiceErrors.TaskNotFound({ id: "" }))
})

export const QueueItemNotFoundError = detailError(Job.QueueItemNotFound, {
  status: 404,
  description: "No such queue item among the caller's",
  raised: ServiceErrors.QueueItemNotFound,
  parse: exactly(() => new ServiceErrors.QueueItemNotFound({ id: "" }))
})

export const InvalidQueueItemIdError = detailError(Job.InvalidQueueItemId, {
  status: 400,
  description: "The queue item id is not a UUID",
  raised: ServiceErrors.InvalidQueueItemId,
  parse: prefixed(
    "Invalid queue item ID format: ",
    (reason) => new ServiceErrors.InvalidQueueItemId({ input: "", reason })
  )
})

const cannotCancelPattern = /^Cannot cancel item with status '(\w+)'$/
export const CannotCancelError = detailError(Job.CannotCancel, {
  status: 400,
  description: "Only pending items can be cancelled",
  raised: ServiceErrors.CannotCancel,
  parse: (detail) => {
    const status = cannotCancelPattern.exec(detail)?.[1]
    return Schema.is(Job.JobStatus)(status) ? new ServiceErrors.CannotCancel({ status }) : undefined
  }
})

export const BatchTooLargeError = detailError(Job.BatchTooLarge, {
  status: 400,
  description: "More than 100 items in one batch",
  raised: ServiceErrors.BatchTooLarge,
  parse: (detail) => {
    const max = /^Maximum (\d+) items per batch$/.exec(detail)?.[1]
    return max === undefined ? undefined : new ServiceErrors.BatchTooLarge({ max: Number(max) })
  }
})

export const IdempotencyKeyReusedError = detailError(Job.IdempotencyKeyReused, {
  status: 409,
  description: "The Idempotency-Key was used, within 24 hours, for a different request",
  raised: ServiceErrors.IdempotencyKeyReused,
  parse: exactly(() => new ServiceErrors.IdempotencyKeyReused())
})

export const BatchEmptyError = detailError(Job.BatchEmpty, {
  status: 400,
  description: "A batch with no items",
  raised: ServiceErrors.BatchEmpty,
  parse: exactly(() => new ServiceErrors.BatchEmpty())
})

const tooManyActivePattern =
  /^Too many active jobs: you have (\d+) pending or processing and asked for (\d+) more; the limit is (\d+) per user\. Retry after (\d+) seconds\.$/
/**
 * 429: the submission would take the caller's pending + processing jobs past the per-user cap; nothing was queued.
 * The response carries `Retry-After` (seconds).
 */
export const TooManyActiveJobsError = detailError(Guardrails.TooManyActiveJobs, {
  status: 429,
  description:
    "Too many active jobs: the submission would exceed the per-user cap on pending + processing jobs; nothing was " +
    "queued. Retry after the `Retry-After` header's seconds (also in the sentence).",
  raised: ServiceErrors.TooManyActiveJobs,
  parse: (detail) => {
    const m = tooManyActivePattern.exec(detail)
    return m === null
      ? undefined
      : new ServiceErrors.TooManyActiveJobs({
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
export const SubmissionRateLimitedError = detailError(Guardrails.SubmissionRateLimited, {
  status: 429,
  description:
    "Too many submissions per minute for this user; nothing was queued. Retry after the `Retry-After` header's " +
    "seconds (also in the sentence).",
  raised: ServiceErrors.SubmissionRateLimited,
  parse: (detail) => {
    const m = rateLimitedPattern.exec(detail)
    return m === null
      ? undefined
      : new ServiceErrors.SubmissionRateLimited({ limit: Number(m[1]), retryAfterSeconds: Number(m[2]) })
  }
})

/** One violated field, as FastAPI reports it: `loc` starts with `body`, `query` or `path`. */
export class FieldError extends Schema.Class<FieldError>("FieldError")({
  loc: Schema.Array(Schema.Union(Schema.String, Schema.Int)),
  msg: Schema.String,
  type: Schema.String
}) {}

/**
 * 422: the request's body, query or path did not validate (also raised by the client, before sending, for a request
 * the contract rejects): one `detail` entry per violated field, and `fields` to show them next to a form's inputs.
 */
export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  detail: Schema.Array(FieldError)
}) {
  get httpStatus(): 422 {
    return 422
  }
  /**
   * Each violated field's message by its path in the request (`loc` without its `body`/`query`/`path`/`header`
   * head): `recipient_name`, `items.0.recipient_interest`, `limit`. A field's first message wins.
   */
  get fields(): Readonly<Record<string, string>> {
    const fields = new Map<string, string>()
    for (const { loc, msg } of this.detail) {
      const field = (loc.length > 1 ? loc.slice(1) : loc).join(".")
      if (!fields.has(field)) fields.set(field, msg)
    }
    return Object.fromEntries(fields)
  }
  /** `recipient_name: String should have at least 2 characters; items.0.recipient_interest: Field required`. */
  override get message(): string {
    const fields = Object.entries(this.fields)
    return fields.length === 0 ? "Invalid request" : fields.map(([field, msg]) => `${field}: ${msg}`).join("; ")
  }
}

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
export class InternalServerError extends Schema.TaggedError<InternalServerError>()("InternalServerError", {}) {
  get httpStatus(): 500 {
    return 500
  }
  override get message(): string {
    return "Internal Server Error"
  }
}

export const InternalServerErrorBody = detailError(InternalServerError, {
  status: 500,
  description: "Unexpected server failure",
  raised: InternalServerError,
  parse: () => new InternalServerError()
})
