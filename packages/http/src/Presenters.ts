import type { EmailResponse, QueueItem, TaskStatusResponse } from "@scribe/client/Wire"
import type { Email } from "@scribe/core/emails/Email"
import type { JobId } from "@scribe/core/Ids"
import { currentStepOf, type ListedJob, type QueueEntry, type TaskStatus } from "@scribe/core/jobs/Job"

/** Domain values in the wire shapes of the contract (snake_case, as the existing frontends read them). */
export const emailResponse = (email: Email): typeof EmailResponse.Type => ({
  id: email.id,
  user_id: email.userId,
  recipient_name: email.recipientName,
  recipient_interest: email.recipientInterest,
  email_message: email.emailMessage,
  template_type: email.templateType,
  metadata: email.metadata,
  is_confident: email.isConfident,
  displayed: email.displayed,
  created_at: email.createdAt
})

/** A job's fields as both the caller's queue and the operators' listing show them, but for its step and position. */
export const jobFields = (job: ListedJob) => ({
  id: job.id,
  batch_id: job.batchId,
  recipient_name: job.recipientName,
  recipient_interest: job.recipientInterest,
  status: job.status,
  email_id: job.emailId,
  error_message: job.errorMessage,
  attempts: job.attempts,
  created_at: job.createdAt,
  started_at: job.startedAt,
  completed_at: job.finishedAt
})

export const queueItem = ({ job, position }: QueueEntry): typeof QueueItem.Type => ({
  ...jobFields(job),
  position,
  current_step: currentStepOf(job)
})

const instant = (value: Date | null) => (value === null ? null : value.toISOString())

/**
 * A queue entry in the contract's wire encoding, exactly as `Schema.encode(QueueItem)(queueItem(entry))` writes it
 * (timestamps as ISO 8601 strings, the schema's key order), in one object: `GET /api/queue/` answers up to a day of jobs
 * on every poll, and walking the schema, or building the domain-shaped item first, cost more than the query's own
 * client-side work (see docs/benchmarks.md). `Presenters.test.ts` checks both agree.
 */
export const encodeQueueEntry = ({ job, position }: QueueEntry): typeof QueueItem.Encoded => ({
  id: job.id,
  batch_id: job.batchId,
  recipient_name: job.recipientName,
  recipient_interest: job.recipientInterest,
  status: job.status,
  position,
  current_step: currentStepOf(job),
  email_id: job.emailId,
  error_message: job.errorMessage,
  attempts: job.attempts,
  created_at: job.createdAt.toISOString(),
  started_at: instant(job.startedAt),
  completed_at: instant(job.finishedAt)
})

/**
 * An email in its wire encoding, as `Schema.encode(EmailResponse)` writes it, without walking the schema (the email
 * listings answer a page of emails, metadata included, on every request).
 */
export const encodeEmailResponse = (email: typeof EmailResponse.Type): typeof EmailResponse.Encoded => ({
  ...email,
  created_at: email.created_at.toISOString()
})

export const taskStatusResponse = (jobId: JobId, task: TaskStatus): typeof TaskStatusResponse.Type => {
  switch (task.status) {
    case "PENDING":
      return { task_id: jobId, status: "PENDING", result: null, error: null }
    case "STARTED":
      return {
        task_id: jobId,
        status: "STARTED",
        result: { current_step: task.currentStep, step_status: task.stepStatus, step_timings: task.stepTimings },
        error: null
      }
    case "SUCCESS":
      return {
        task_id: jobId,
        status: "SUCCESS",
        result: { email_id: task.emailId, generation_time: task.generationTime, step_timings: task.stepTimings },
        error: null
      }
    case "FAILURE":
      return {
        task_id: jobId,
        status: "FAILURE",
        result: null,
        error: {
          message: task.message,
          type: task.type,
          ...(task.failedStep === null ? {} : { failed_step: task.failedStep })
        }
      }
  }
}
