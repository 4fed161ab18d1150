import { JobStatus } from "@scribe/core/jobs/Job"
import { PipelineStep, StepTimings } from "@scribe/core/pipeline/PipelineStep"
import { EmailTemplate, RecipientInterest, RecipientName, TemplateType } from "@scribe/core/templates/Template"
import { ParseResult, Schema } from "effect"

/** Report every violated field, not just the first, and ignore unknown fields (as FastAPI does). */
export const allErrors = { parseOptions: { errors: "all", onExcessProperty: "ignore" } } as const

/** ISO 8601 UTC with `Z` on the wire, `Date` in code. */
export const Timestamp = Schema.Date.annotations({ description: "ISO 8601 UTC timestamp", examples: [new Date(0)] })

export const QueryInt = (name: string) =>
  Schema.NumberFromString.pipe(
    Schema.int({ message: () => "Input should be a valid integer" }),
    Schema.annotations({ title: name, message: () => "Input should be a valid integer" })
  )

const truthy = ["true", "1", "yes", "on", "t", "y"]
const falsy = ["false", "0", "no", "off", "f", "n"]
/** A query boolean spelled as FastAPI accepts it (`true/false`, `1/0`, `yes/no`, `on/off`). */
const QueryBoolean = Schema.transformOrFail(Schema.String, Schema.Boolean, {
  strict: true,
  decode: (s, _, ast) => {
    const v = s.toLowerCase()
    if (truthy.includes(v)) return ParseResult.succeed(true)
    if (falsy.includes(v)) return ParseResult.succeed(false)
    return ParseResult.fail(new ParseResult.Type(ast, s, "Input should be a valid boolean, unable to interpret input"))
  },
  encode: (b) => ParseResult.succeed(String(b))
})

export const GenerateEmailRequest = Schema.Struct({
  email_template: EmailTemplate,
  recipient_name: RecipientName,
  recipient_interest: RecipientInterest
}).annotations({ identifier: "GenerateEmailRequest", ...allErrors })

export const GenerateEmailResponse = Schema.Struct({
  task_id: Schema.String
}).annotations({ identifier: "GenerateEmailResponse" })

export const StartedResult = Schema.Struct({
  current_step: PipelineStep,
  step_status: Schema.String,
  step_timings: StepTimings
}).annotations({ identifier: "StartedResult" })

export const SuccessResult = Schema.Struct({
  email_id: Schema.String,
  generation_time: Schema.Number,
  step_timings: StepTimings
}).annotations({ identifier: "SuccessResult" })

export const TaskError = Schema.Struct({
  message: Schema.String,
  type: Schema.String,
  /** The step the job failed in; absent when it is not known. */
  failed_step: Schema.optionalWith(PipelineStep, { exact: true })
}).annotations({ identifier: "TaskError" })

export const TaskStatusResponse = Schema.Struct({
  task_id: Schema.String,
  status: Schema.Literal("PENDING", "STARTED", "SUCCESS", "FAILURE"),
  result: Schema.NullOr(Schema.Union(StartedResult, SuccessResult)),
  error: Schema.NullOr(TaskError)
}).annotations({ identifier: "TaskStatusResponse" })

export const EmailResponse = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  email_message: Schema.String,
  template_type: Schema.NullOr(TemplateType),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  is_confident: Schema.Boolean,
  displayed: Schema.Boolean,
  created_at: Timestamp
}).annotations({ identifier: "EmailResponse" })

export const ListEmailsParams = Schema.Struct({
  limit: Schema.optionalWith(
    QueryInt("limit").pipe(
      Schema.greaterThanOrEqualTo(1, { message: () => "Input should be greater than or equal to 1" }),
      Schema.lessThanOrEqualTo(100, { message: () => "Input should be less than or equal to 100" }),
      Schema.annotations({
        description: "Page size, 1–100",
        jsonSchema: { type: "integer", minimum: 1, maximum: 100, default: 20 }
      })
    ),
    { default: () => 20 }
  ),
  offset: Schema.optionalWith(
    QueryInt("offset").pipe(
      Schema.greaterThanOrEqualTo(0, { message: () => "Input should be greater than or equal to 0" }),
      Schema.annotations({
        description: "Emails to skip",
        jsonSchema: { type: "integer", minimum: 0, default: 0 }
      })
    ),
    { default: () => 0 }
  ),
  include_discarded: Schema.optionalWith(
    QueryBoolean.annotations({
      description: "Also list discarded emails (displayed = false)",
      jsonSchema: { type: "boolean", default: false }
    }),
    { default: () => false }
  )
}).annotations(allErrors) // no identifier: query parameters must be documented inline

export const UpdateEmailRequest = Schema.Struct({
  displayed: Schema.Boolean
}).annotations({ identifier: "UpdateEmailRequest", ...allErrors })

export const BatchItem = Schema.Struct({
  recipient_name: RecipientName,
  recipient_interest: RecipientInterest
}).annotations({ identifier: "BatchItem" })

/** The item count (1–100) is checked after field validation, answering 400 as the seeds do. */
export const BatchRequest = Schema.Struct({
  items: Schema.Array(BatchItem),
  email_template: EmailTemplate
}).annotations({ identifier: "BatchRequest", ...allErrors })

export const BatchResponse = Schema.Struct({
  queue_item_ids: Schema.Array(Schema.String),
  message: Schema.String
}).annotations({ identifier: "BatchResponse" })

/** A job as both the caller's queue and the operators' listing show it: who it is for and how it stands… */
export const jobIdentityFields = {
  id: Schema.String,
  batch_id: Schema.NullOr(Schema.String),
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  status: JobStatus
}

/** …and how far it got. */
export const jobProgressFields = {
  current_step: Schema.NullOr(PipelineStep),
  email_id: Schema.NullOr(Schema.String),
  error_message: Schema.NullOr(Schema.String),
  attempts: Schema.Int,
  created_at: Timestamp,
  started_at: Schema.NullOr(Timestamp),
  completed_at: Schema.NullOr(Timestamp)
}

export const QueueItem = Schema.Struct({
  ...jobIdentityFields,
  position: Schema.NullOr(Schema.Int),
  ...jobProgressFields
}).annotations({ identifier: "QueueItem" })

export const MessageResponse = Schema.Struct({
  message: Schema.String
}).annotations({ identifier: "MessageResponse" })

export const HealthResponse = Schema.Struct({
  status: Schema.Literal("healthy", "unhealthy"),
  database: Schema.Literal("ok", "error"),
  redis: Schema.Literal("ok", "error", "not_configured")
}).annotations({ identifier: "HealthResponse" })

/**
 * Optional `Idempotency-Key` on submissions: a client-chosen key (e.g. a UUID) per logical submission, reused when the
 * same submission is retried, so a retried POST never creates a second set of jobs (honoured for 24 h per user).
 * 1–255 visible ASCII characters (no spaces); anything else is refused with 422 before the submission is counted.
 */
export const IdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.optional(
    Schema.String.pipe(
      Schema.pattern(/^[\x21-\x7e]{1,255}$/, {
        message: () => "Value error, Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)"
      }),
      Schema.annotations({
        description:
          "A client-chosen key per logical submission (1–255 visible ASCII characters); a retry with the same key " +
          "returns the first answer"
      })
    )
  )
})
