import type { Effect } from "effect"
import { Context } from "effect"
import type { Email } from "../emails/Email"
import type { UserId } from "../Ids"
import type { Job } from "../jobs/Job"
import type { RepoError } from "../store/Repo"

/** Raw totals over every user; rates are derived by the use-case. */
export interface Totals {
  readonly users: number
  readonly emails: number
  readonly confidentEmails: number
  readonly templates: number
  readonly completedJobs: number
  readonly failedJobs: number
  /** Mean `generation_time` of completed jobs, seconds; `null` when none completed. */
  readonly meanGenerationSeconds: number | null
  /** Emails created at or after `since`. */
  readonly emailsSince: number
  /** Distinct users who submitted a job at or after `since`. */
  readonly activeUsersSince: number
}

/** One user as operators see them, with counts computed from the stored rows. */
export interface UserSummary {
  readonly id: UserId
  readonly email: string | null
  readonly displayName: string | null
  readonly onboarded: boolean
  readonly emailTemplate: string | null
  readonly createdAt: Date
  /** Emails stored for the user. */
  readonly emails: number
  readonly templates: number
  /** Jobs the user submitted that are still stored (cancelled ones are deleted). */
  readonly jobs: number
  readonly failedJobs: number
}

export interface WeekCounts {
  /** ISO week, `2026-W09`. */
  readonly week: string
  readonly emails: number
  readonly activeUsers: number
}

export interface FailedJob {
  readonly job: Job
  readonly userEmail: string | null
  readonly userDisplayName: string | null
}

/** Read-only queries across every user, for operators. Each stays index-driven at 100 000 jobs. */
export class AdminQueries extends Context.Tag("@scribe/core/AdminQueries")<
  AdminQueries,
  {
    readonly totals: (since: Date) => Effect.Effect<Totals, RepoError>
    /** Every user, newest first. */
    readonly users: () => Effect.Effect<ReadonlyArray<UserSummary>, RepoError>
    readonly userExists: (id: UserId) => Effect.Effect<boolean, RepoError>
    /** A user's emails newest first (discarded ones included), and how many there are. */
    readonly userEmails: (
      id: UserId,
      page: { readonly limit: number; readonly offset: number }
    ) => Effect.Effect<{ readonly items: ReadonlyArray<Email>; readonly total: number }, RepoError>
    /** A user's most recent jobs, newest first. */
    readonly userJobs: (id: UserId, limit: number) => Effect.Effect<ReadonlyArray<Job>, RepoError>
    /**
     * Emails and active users (who submitted a job) per ISO week since `since`, the start of an ISO week (UTC); weeks
     * with neither are left out.
     */
    readonly activity: (since: Date) => Effect.Effect<ReadonlyArray<WeekCounts>, RepoError>
    /** The most recent failed jobs, newest first, with their users. */
    readonly failedJobs: (limit: number) => Effect.Effect<ReadonlyArray<FailedJob>, RepoError>
  }
>() {}
