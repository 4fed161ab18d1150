import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import type { AdminQueueItem, AdminUser, FailedJobItem } from "@scribe/client/AdminApi"
import { AdminAuthentication } from "@scribe/client/AdminAuthentication"
import { Authentication } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import { AdminAccess, requireAdmin } from "@scribe/core/admin/AdminAccess"
import type { FailedJob, UserSummary } from "@scribe/core/admin/AdminQueries"
import * as Admin from "@scribe/core/admin/AdminUseCases"
import type { Job } from "@scribe/core/jobs/Job"
import { Effect, Layer } from "effect"
import { orInternal } from "./Internal"
import { emailResponse, encodeEmailResponse, jobFields } from "./Presenters"
import { templateResponse } from "./TemplatesHttp"

/** An operator's bearer token: verified (and the user ensured) as `Authentication` does, then checked for the role. */
export const AdminAuthenticationLive = Layer.effect(
  AdminAuthentication,
  Effect.gen(function* () {
    const authentication = yield* Authentication
    const access = yield* AdminAccess
    return {
      bearer: (token) =>
        Effect.tap(authentication.bearer(token), (user) =>
          Effect.provideService(requireAdmin(user), AdminAccess, access)
        ).pipe(Effect.withSpan("AdminAuthentication.bearer"))
    }
  })
)

const adminUser = (u: UserSummary): typeof AdminUser.Type => ({
  id: u.id,
  email: u.email,
  display_name: u.displayName,
  generation_count: u.emails,
  template_count: u.templates,
  onboarded: u.onboarded,
  created_at: u.createdAt,
  actual_email_count: u.emails,
  queue_submissions: u.jobs,
  failed_count: u.failedJobs,
  email_template: u.emailTemplate
})

/**
 * An operator's view of a user in its wire encoding, as `Schema.encode(AdminUser)` writes it: the users list answers
 * every user at once, and the schema's encoder cost more than the query (see `encodeQueueEntry`).
 */
export const encodeAdminUser = (user: typeof AdminUser.Type): typeof AdminUser.Encoded => ({
  ...user,
  created_at: user.created_at.toISOString()
})

const iso = (date: Date | null) => (date === null ? null : date.toISOString())

/** A user's job in its wire encoding, as `Schema.encode(AdminQueueItem)` writes it (see `encodeAdminUser`). */
export const encodeAdminQueueItem = (item: typeof AdminQueueItem.Type): typeof AdminQueueItem.Encoded => ({
  ...item,
  created_at: item.created_at.toISOString(),
  started_at: iso(item.started_at),
  completed_at: iso(item.completed_at)
})

/** A failed job in its wire encoding, as `Schema.encode(FailedJobItem)` writes it (see `encodeAdminUser`). */
export const encodeFailedJobItem = (item: typeof FailedJobItem.Type): typeof FailedJobItem.Encoded => ({
  ...item,
  created_at: item.created_at.toISOString(),
  started_at: iso(item.started_at),
  completed_at: iso(item.completed_at)
})

const queueItem = (job: Job): typeof AdminQueueItem.Type => ({
  ...jobFields(job),
  // The step as recorded: the operators see a processing job that has not reported one yet as such.
  current_step: job.status === "processing" ? job.currentStep : null
})

const failedJob = ({ job, userEmail, userDisplayName }: FailedJob): typeof FailedJobItem.Type => ({
  id: job.id,
  user_id: job.userId,
  user_email: userEmail,
  user_display_name: userDisplayName,
  recipient_name: job.recipientName,
  recipient_interest: job.recipientInterest,
  current_step: job.failedStep,
  error_message: job.errorMessage,
  error_type: job.errorType,
  attempts: job.attempts,
  created_at: job.createdAt,
  started_at: job.startedAt,
  completed_at: job.finishedAt
})

export const AdminHttpLive = HttpApiBuilder.group(ScribeApi, "admin", (handlers) =>
  Effect.succeed(
    handlers
      .handle("overview", () =>
        Admin.overview().pipe(
          Effect.map((o) => ({
            total_users: o.totalUsers,
            total_emails: o.totalEmails,
            success_rate: o.successRate,
            avg_gen_time_seconds: o.avgGenerationSeconds,
            total_templates: o.totalTemplates,
            confidence_rate: o.confidenceRate,
            error_count: o.errorCount,
            emails_this_week: o.emailsThisWeek,
            active_users_this_week: o.activeUsersThisWeek
          })),
          orInternal
        )
      )
      .handle("users", () =>
        Admin.users().pipe(
          // Already in its wire encoding (see `encodeAdminUser`): HttpApi sends a response as it is.
          Effect.map((users) => HttpServerResponse.unsafeJson(users.map((u) => encodeAdminUser(adminUser(u))))),
          orInternal
        )
      )
      .handle("userEmails", ({ path, urlParams }) =>
        Admin.userEmails(path.user_id, urlParams.page, urlParams.per_page).pipe(
          // Emails in their wire encoding already (see `encodeEmailResponse`).
          Effect.map((p) =>
            HttpServerResponse.unsafeJson({
              items: p.items.map((e) => encodeEmailResponse(emailResponse(e))),
              total: p.total,
              page: p.page,
              per_page: p.perPage,
              pages: p.pages
            })
          ),
          orInternal
        )
      )
      .handle("userTemplates", ({ path }) =>
        Admin.userTemplates(path.user_id).pipe(
          Effect.map((ts) => ts.map(templateResponse)),
          orInternal
        )
      )
      .handle("userQueue", ({ path, urlParams }) =>
        Admin.userJobs(path.user_id, urlParams.limit).pipe(
          Effect.map((jobs) => HttpServerResponse.unsafeJson(jobs.map((j) => encodeAdminQueueItem(queueItem(j))))),
          orInternal
        )
      )
      .handle("activity", ({ urlParams }) =>
        Admin.activity(urlParams.weeks).pipe(
          Effect.map((weeks) =>
            weeks.map((w) => ({ week: w.week, emails_generated: w.emails, active_users: w.activeUsers }))
          ),
          orInternal
        )
      )
      .handle("errors", ({ urlParams }) =>
        Admin.errors(urlParams.limit).pipe(
          Effect.map((jobs) => HttpServerResponse.unsafeJson(jobs.map((j) => encodeFailedJobItem(failedJob(j))))),
          orInternal
        )
      )
  )
)
