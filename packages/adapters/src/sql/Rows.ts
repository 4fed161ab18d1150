import { Email } from "@scribe/core/emails/Email"
import { Job, JobStatus } from "@scribe/core/jobs/Job"
import { PipelineStep, StepTimings } from "@scribe/core/pipeline/PipelineStep"
import { TemplateType } from "@scribe/core/templates/Template"
import { Schema } from "effect"

// Persistence models: rows as the driver returns them (snake_case, Dates), mapped to core's classes.

/** int8 arrives as a number from PGlite and as a string from node-postgres. */
export const Int8 = Schema.Union(Schema.Number, Schema.NumberFromString)

const JobRow = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  batch_id: Schema.NullOr(Schema.String),
  seq: Int8,
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  email_template: Schema.String,
  status: JobStatus,
  current_step: Schema.NullOr(PipelineStep),
  step_status: Schema.NullOr(Schema.String),
  step_timings: StepTimings,
  attempts: Schema.Number,
  error_message: Schema.NullOr(Schema.String),
  error_type: Schema.NullOr(Schema.String),
  failed_step: Schema.NullOr(PipelineStep),
  email_id: Schema.NullOr(Schema.String),
  generation_time: Schema.NullOr(Schema.Number),
  created_at: Schema.DateFromSelf,
  started_at: Schema.NullOr(Schema.DateFromSelf),
  finished_at: Schema.NullOr(Schema.DateFromSelf),
  trace_parent: Schema.NullOr(Schema.String)
})
type JobRow = typeof JobRow.Type

/** A `queue_items` row (`SELECT *`) as the driver returns it. */
export type RawJobRow = typeof JobRow.Encoded

/** The columns a `Job` holds as they are, under its names: all but the ids and `seq`, which readers decode. */
export const jobColumns = (r: Omit<RawJobRow, "seq">) => ({
  recipientName: r.recipient_name,
  recipientInterest: r.recipient_interest,
  emailTemplate: r.email_template,
  status: r.status,
  currentStep: r.current_step,
  stepStatus: r.step_status,
  stepTimings: r.step_timings,
  attempts: r.attempts,
  errorMessage: r.error_message,
  errorType: r.error_type,
  failedStep: r.failed_step,
  generationTime: r.generation_time,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  traceParent: r.trace_parent
})

/** A `queue_items` row (`SELECT *`, `RETURNING *`) as a `Job`. */
export const JobFromRow = Schema.transform(JobRow, Job, {
  strict: true,
  decode: (r): typeof Job.Encoded => ({
    id: r.id,
    userId: r.user_id,
    batchId: r.batch_id,
    seq: r.seq,
    emailId: r.email_id,
    ...jobColumns(r)
  }),
  encode: (j): JobRow => ({
    id: j.id,
    user_id: j.userId,
    batch_id: j.batchId,
    seq: j.seq,
    recipient_name: j.recipientName,
    recipient_interest: j.recipientInterest,
    email_template: j.emailTemplate,
    status: j.status,
    current_step: j.currentStep,
    step_status: j.stepStatus,
    step_timings: j.stepTimings,
    attempts: j.attempts,
    error_message: j.errorMessage,
    error_type: j.errorType,
    failed_step: j.failedStep,
    email_id: j.emailId,
    generation_time: j.generationTime,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
    trace_parent: j.traceParent ?? null
  })
})

const EmailRow = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  job_id: Schema.NullOr(Schema.String),
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  email_message: Schema.String,
  template_type: Schema.NullOr(TemplateType),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  is_confident: Schema.Boolean,
  displayed: Schema.Boolean,
  created_at: Schema.DateFromSelf
})

/** An `emails` row as an `Email`. */
export const EmailFromRow = Schema.transform(EmailRow, Email, {
  strict: true,
  decode: (r) => ({
    id: r.id,
    userId: r.user_id,
    jobId: r.job_id,
    recipientName: r.recipient_name,
    recipientInterest: r.recipient_interest,
    emailMessage: r.email_message,
    templateType: r.template_type,
    metadata: r.metadata,
    isConfident: r.is_confident,
    displayed: r.displayed,
    createdAt: r.created_at
  }),
  encode: (e) => ({
    id: e.id,
    user_id: e.userId,
    job_id: e.jobId,
    recipient_name: e.recipientName,
    recipient_interest: e.recipientInterest,
    email_message: e.emailMessage,
    template_type: e.templateType,
    metadata: e.metadata,
    is_confident: e.isConfident,
    displayed: e.displayed,
    created_at: e.createdAt
  })
})

// jsonb parameters are encoded to JSON text and cast with `::jsonb` in the statement.
export const StepTimingsJson = Schema.parseJson(StepTimings)
export const MetadataJson = Schema.parseJson(Email.fields.metadata)

/** What a statement that `RETURNING id` answers. */
export const IdRow = Schema.Struct({ id: Schema.String })
