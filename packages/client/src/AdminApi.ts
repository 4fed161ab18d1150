import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { PipelineStep } from "@scribe/core/pipeline/PipelineStep"
import { Schema } from "effect"
import { AdminAuthentication } from "./AdminAuthentication"
import { InternalServerErrorBody, ValidationErrorBody } from "./ApiErrors"
import { QueryParam } from "./QueryParam"
import { TemplateResponse } from "./TemplatesApi"
import { UserNotFoundError } from "./UserApi"
import { allErrors, EmailResponse, jobIdentityFields, jobProgressFields, Timestamp } from "./Wire"

const Percent = Schema.Number.annotations({ description: "A percentage, 0–100, one decimal" })

export const AdminOverview = Schema.Struct({
  total_users: Schema.Int,
  total_emails: Schema.Int,
  success_rate: Percent.annotations({ description: "Completed jobs among finished (completed + failed), in percent" }),
  avg_gen_time_seconds: Schema.Number.annotations({ description: "Mean generation time of completed jobs" }),
  total_templates: Schema.Int,
  confidence_rate: Percent.annotations({ description: "Emails marked confident, in percent" }),
  error_count: Schema.Int.annotations({ description: "Failed jobs" }),
  emails_this_week: Schema.Int.annotations({ description: "Emails created this ISO week (from Monday 00:00 UTC)" }),
  active_users_this_week: Schema.Int.annotations({ description: "Users who submitted a job this ISO week" })
}).annotations({ identifier: "AdminOverview" })

export const AdminUser = Schema.Struct({
  id: Schema.String,
  email: Schema.NullOr(Schema.String),
  display_name: Schema.NullOr(Schema.String),
  generation_count: Schema.Int.annotations({ description: "Emails generated (counted from the stored emails)" }),
  template_count: Schema.Int,
  onboarded: Schema.Boolean,
  created_at: Timestamp,
  actual_email_count: Schema.Int.annotations({
    description: "Emails stored for the user; equal to generation_count, which is counted, not kept as a counter"
  }),
  queue_submissions: Schema.Int.annotations({
    description: "Jobs submitted and still stored (cancelled ones are not)"
  }),
  failed_count: Schema.Int.annotations({ description: "Failed jobs" }),
  email_template: Schema.NullOr(Schema.String)
}).annotations({ identifier: "AdminUser" })

export const AdminEmailPage = Schema.Struct({
  items: Schema.Array(EmailResponse),
  total: Schema.Int,
  page: Schema.Int,
  per_page: Schema.Int,
  pages: Schema.Int
}).annotations({ identifier: "AdminEmailPage" })

export const AdminQueueItem = Schema.Struct({ ...jobIdentityFields, ...jobProgressFields }).annotations({
  identifier: "AdminQueueItem"
})

export const WeekActivity = Schema.Struct({
  week: Schema.String.annotations({ description: "ISO 8601 week, e.g. `2026-W09` (weeks start on Monday, UTC)" }),
  emails_generated: Schema.Int,
  active_users: Schema.Int.annotations({ description: "Users who submitted a job that week" })
}).annotations({ identifier: "WeekActivity" })

export const FailedJobItem = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  user_email: Schema.NullOr(Schema.String),
  user_display_name: Schema.NullOr(Schema.String),
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  current_step: Schema.NullOr(PipelineStep).annotations({ description: "The step the job failed in" }),
  error_message: Schema.NullOr(Schema.String),
  error_type: Schema.NullOr(Schema.String),
  attempts: Schema.Int,
  created_at: Timestamp,
  started_at: Schema.NullOr(Timestamp),
  completed_at: Schema.NullOr(Timestamp)
}).annotations({ identifier: "FailedJobItem" })

const userPath = Schema.Struct({ user_id: Schema.String })

export const AdminEmailsParams = Schema.Struct({
  page: QueryParam("page", { min: 1, default: 1, description: "1-based page" }),
  per_page: QueryParam("per_page", { min: 1, max: 100, default: 20, description: "Emails per page, 1–100" })
}).annotations(allErrors)

export const AdminQueueParams = Schema.Struct({
  limit: QueryParam("limit", { min: 1, max: 500, default: 100, description: "Most recent jobs, 1–500" })
}).annotations(allErrors)

export const AdminActivityParams = Schema.Struct({
  weeks: QueryParam("weeks", { min: 1, max: 104, default: 12, description: "Weeks back, this one included, 1–104" })
}).annotations(allErrors)

export const AdminErrorsParams = Schema.Struct({
  limit: QueryParam("limit", { min: 1, max: 500, default: 50, description: "Most recent failures, 1–500" })
}).annotations(allErrors)

/** For operators only: the service's totals, every user, and each user's emails, templates and jobs. */
export class AdminApi extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("overview", "/overview")
      .addSuccess(AdminOverview)
      .annotate(OpenApi.Summary, "Totals and rates across every user")
  )
  .add(
    HttpApiEndpoint.get("users", "/users")
      .addSuccess(Schema.Array(AdminUser))
      .annotate(OpenApi.Summary, "Every user with their counts, newest first")
  )
  .add(
    HttpApiEndpoint.get("userEmails", "/users/:user_id/emails")
      .setPath(userPath)
      .setUrlParams(AdminEmailsParams)
      .addSuccess(AdminEmailPage)
      .addError(UserNotFoundError)
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "A user's emails, newest first, discarded ones included, by page")
  )
  .add(
    HttpApiEndpoint.get("userTemplates", "/users/:user_id/templates")
      .setPath(userPath)
      .addSuccess(Schema.Array(TemplateResponse))
      .addError(UserNotFoundError)
      .annotate(OpenApi.Summary, "A user's résumé templates, newest first")
  )
  .add(
    HttpApiEndpoint.get("userQueue", "/users/:user_id/queue")
      .setPath(userPath)
      .setUrlParams(AdminQueueParams)
      .addSuccess(Schema.Array(AdminQueueItem))
      .addError(UserNotFoundError)
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "A user's most recent jobs, newest first")
  )
  .add(
    HttpApiEndpoint.get("activity", "/activity")
      .setUrlParams(AdminActivityParams)
      .addSuccess(Schema.Array(WeekActivity))
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "Emails generated and active users per ISO week, oldest first")
  )
  .add(
    HttpApiEndpoint.get("errors", "/errors")
      .setUrlParams(AdminErrorsParams)
      .addSuccess(Schema.Array(FailedJobItem))
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "The most recent failed jobs, newest first, with their users")
  )
  .addError(InternalServerErrorBody)
  .middleware(AdminAuthentication)
  .prefix("/api/admin") {}
