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

/**
 * A queue item in its wire encoding, as `Schema.encode(QueueItem)` writes it (timestamps as ISO 8601 strings), without
 * walking the schema: `GET /api/queue/` answers up to a day of jobs on every request, and the schema's encoder cost
 * more than the query's own client-side work (see docs/benchmarks.md). `Presenters.test.ts` checks both agree.
 */
export const encodeQueueItem = (item: typeof QueueItem.Type): typeof QueueItem.Encoded => ({
  id: item.id,
  batch_id: item.batch_id,
  recipient_name: item.recipient_name,
  recipient_interest: item.recipient_interest,
  status: item.status,
  position: item.position,
  current_step: item.current_step,
  email_id: item.email_id,
  error_message: item.error_message,
  attempts: item.attempts,
  created_at: item.created_at.toISOString(),
  started_at: item.started_at === null ? null : item.started_at.toISOString(),
  completed_at: item.completed_at === null ? null : item.completed_at.toISOString()
})

/** An email in its wire encoding, as `Schema.encode(EmailResponse)` writes it; see `encodeQueueItem`. */
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
