import { Duration, Option, Schema } from "effect"
import { BatchId, EmailId, JobId, UserId } from "../Ids"
import { firstStep, PipelineStep, StepTimings, stepStatus } from "../pipeline/PipelineStep"
import { EmailTemplate, RecipientInterest, RecipientName } from "../templates/Template"

/** A job's life: `pending → processing → completed | failed`; cancel deletes a pending job. */
export const JobStatus = Schema.Literal("pending", "processing", "completed", "failed")
export type JobStatus = typeof JobStatus.Type

/** One unit of work: write one email to one recipient. A generation task and a queue item are both jobs. */
export class Job extends Schema.Class<Job>("Job")({
  id: JobId,
  userId: UserId,
  batchId: Schema.NullOr(BatchId),
  /** Global take order: FIFO by creation, batch items in request order. */
  seq: Schema.Number,
  recipientName: RecipientName,
  recipientInterest: RecipientInterest,
  emailTemplate: EmailTemplate,
  status: JobStatus,
  currentStep: Schema.NullOr(PipelineStep),
  stepStatus: Schema.NullOr(Schema.String),
  stepTimings: StepTimings,
  attempts: Schema.Number,
  errorMessage: Schema.NullOr(Schema.String),
  errorType: Schema.NullOr(Schema.String),
  failedStep: Schema.NullOr(PipelineStep),
  emailId: Schema.NullOr(EmailId),
  generationTime: Schema.NullOr(Schema.Number),
  createdAt: Schema.DateFromSelf,
  startedAt: Schema.NullOr(Schema.DateFromSelf),
  finishedAt: Schema.NullOr(Schema.DateFromSelf),
  /** The submitting request's trace context (W3C `traceparent`), so attempts join its trace; not shown to users. */
  traceParent: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
}) {}

/** What a submission asks for, before it has an id and a place in line. */
export class NewJob extends Schema.Class<NewJob>("NewJob")({
  id: JobId,
  userId: UserId,
  batchId: Schema.NullOr(BatchId),
  recipientName: RecipientName,
  recipientInterest: RecipientInterest,
  emailTemplate: EmailTemplate,
  createdAt: Schema.DateFromSelf
}) {}

/** A newly submitted job as it stands in line: pending at `seq`, nothing tried yet. */
export const pendingJob = (job: NewJob, seq: number): Job =>
  new Job({
    ...job,
    seq,
    status: "pending",
    currentStep: null,
    stepStatus: null,
    stepTimings: {},
    attempts: 0,
    errorMessage: null,
    errorType: null,
    failedStep: null,
    emailId: null,
    generationTime: null,
    startedAt: null,
    finishedAt: null
  })

/** The part of a job the queue listing shows (a store reads only these columns for it). */
export type ListedJob = Pick<
  Job,
  | "id"
  | "batchId"
  | "seq"
  | "recipientName"
  | "recipientInterest"
  | "status"
  | "currentStep"
  | "attempts"
  | "errorMessage"
  | "emailId"
  | "createdAt"
  | "startedAt"
  | "finishedAt"
>

/** A job as the queue listing shows it: with its 1-based rank among all pending jobs, `null` unless pending. */
export interface QueueEntry {
  readonly job: ListedJob
  readonly position: number | null
}

/** The queue listing shows the caller's jobs created within this window. */
export const queueWindow = Duration.hours(24)
/** A finished task can be polled for this long. */
export const taskRetention = Duration.hours(1)
export const maxErrorMessageLength = 1000
export const maxBatchItems = 100

export const queueWindowStart = (now: Date): Date => new Date(now.getTime() - Duration.toMillis(queueWindow))

/** Error messages are stored at most 1000 characters long (an ellipsis marks a cut). */
export const truncateErrorMessage = (message: string): string =>
  message.length <= maxErrorMessageLength ? message : `${message.slice(0, maxErrorMessageLength - 1)}…`

export const canCancel = (job: Job): boolean => job.status === "pending"

/** The task view of a job (`GET /api/email/status`). */
export type TaskStatus =
  | { readonly status: "PENDING" }
  | {
      readonly status: "STARTED"
      readonly currentStep: PipelineStep
      readonly stepStatus: string
      readonly stepTimings: StepTimings
    }
  | {
      readonly status: "SUCCESS"
      readonly emailId: EmailId
      readonly generationTime: number
      readonly stepTimings: StepTimings
    }
  | {
      readonly status: "FAILURE"
      readonly message: string
      readonly type: string
      readonly failedStep: PipelineStep | null
    }

/**
 * The step a job is at: while processing always one (the claim records the first), otherwise none. A row claimed
 * before claims recorded it shows the first step.
 */
export const currentStepOf = (job: Pick<Job, "status" | "currentStep">): PipelineStep | null =>
  job.status === "processing" ? (job.currentStep ?? firstStep) : null

/** True when a finished job is past its retention and its task is no longer visible. */
export const isTaskExpired = (job: Job, now: Date): boolean =>
  job.finishedAt !== null && now.getTime() - job.finishedAt.getTime() > Duration.toMillis(taskRetention)

/** Maps a job to its task status; `None` once a finished task has expired. */
export const taskStatus = (job: Job, now: Date): Option.Option<TaskStatus> => {
  if (isTaskExpired(job, now)) return Option.none()
  switch (job.status) {
    case "pending":
      return Option.some({ status: "PENDING" })
    case "processing": {
      const step = job.currentStep ?? firstStep
      return Option.some({
        status: "STARTED",
        currentStep: step,
        stepStatus: job.stepStatus ?? stepStatus(step),
        stepTimings: job.stepTimings
      })
    }
    case "completed":
      return job.emailId === null
        ? Option.some({
            status: "FAILURE",
            message: "Job completed without an email",
            type: "IntegrityError",
            failedStep: null
          })
        : Option.some({
            status: "SUCCESS",
            emailId: job.emailId,
            generationTime: job.generationTime ?? 0,
            stepTimings: job.stepTimings
          })
    case "failed":
      return Option.some({
        status: "FAILURE",
        message: job.errorMessage ?? "Unknown error",
        type: job.errorType ?? "Error",
        failedStep: job.failedStep
      })
  }
}

/** Ranks pending jobs in take order (1-based); everything else has no position. Reference semantics for adapters. */
export const positions = (jobs: ReadonlyArray<Job>): ReadonlyMap<JobId, number> => {
  const pending = jobs.filter((j) => j.status === "pending").sort((a, b) => a.seq - b.seq)
  return new Map(pending.map((j, i) => [j.id, i + 1]))
}

export class QueueItemNotFound extends Schema.TaggedError<QueueItemNotFound>()("QueueItemNotFound", {
  id: Schema.String
}) {}

export class TaskNotFound extends Schema.TaggedError<TaskNotFound>()("TaskNotFound", {
  id: Schema.String
}) {}

/** Only a pending job can be cancelled. */
export class CannotCancel extends Schema.TaggedError<CannotCancel>()("CannotCancel", {
  status: JobStatus
}) {}

export class InvalidQueueItemId extends Schema.TaggedError<InvalidQueueItemId>()("InvalidQueueItemId", {
  input: Schema.String,
  reason: Schema.String
}) {}

/** A batch asked for more than `maxBatchItems` jobs. */
export class BatchTooLarge extends Schema.TaggedError<BatchTooLarge>()("BatchTooLarge", {
  max: Schema.Number
}) {}

export class BatchEmpty extends Schema.TaggedError<BatchEmpty>()("BatchEmpty", {}) {}

/** An `Idempotency-Key` already used, within 24 hours, for a different request. */
export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {}) {}
