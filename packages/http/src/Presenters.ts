import type { EmailResponse, QueueItem, TaskStatusResponse } from "@scribe/client/Wire"
import type { Email } from "@scribe/core/Email"
import type { JobId } from "@scribe/core/Ids"
import type { QueueEntry, TaskStatus } from "@scribe/core/Job"

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

export const queueItem = ({ job, position }: QueueEntry): typeof QueueItem.Type => ({
  id: job.id,
  batch_id: job.batchId,
  recipient_name: job.recipientName,
  recipient_interest: job.recipientInterest,
  status: job.status,
  position,
  current_step: job.status === "processing" ? job.currentStep : null,
  email_id: job.emailId,
  error_message: job.errorMessage,
  attempts: job.attempts,
  created_at: job.createdAt,
  started_at: job.startedAt,
  completed_at: job.finishedAt
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
        error: { message: task.message, type: task.type, failed_step: task.failedStep }
      }
  }
}
