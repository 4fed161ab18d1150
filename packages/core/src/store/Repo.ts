import type { Effect, Option } from "effect"
import { Context, Data } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import type { Email, EmailPage } from "../emails/Email"
import type { EmailId, JobId, UserId } from "../Ids"
import type { Job, JobStatus, NewJob, QueueEntry } from "../jobs/Job"
import type { PipelineStep, StepTimings } from "../pipeline/PipelineStep"
import type { DailyUsage, JobUsage } from "../usage/Usage"

/** The store could not be reached or refused an operation. */
export class RepoError extends Data.TaggedError("RepoError")<{
  readonly operation: string
  readonly cause: unknown
}> {}

export type CancelOutcome =
  | { readonly _tag: "Cancelled" }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "NotCancellable"; readonly status: JobStatus }

/** Who holds a job and until when. A worker's writes to a job count only while it holds the lease. */
export interface Lease {
  readonly jobId: JobId
  readonly workerId: string
}

/**
 * A submission's `Idempotency-Key`, scoped to its user and honoured for 24 hours: the same key with the same request
 * replays the first answer; with a different request it is refused.
 */
export interface IdempotencyKey {
  readonly userId: UserId
  readonly key: string
  /** The request as submitted, canonical (same request ⇔ same text); compared on reuse. */
  readonly request: string
  readonly now: Date
}

export type InsertOnceOutcome =
  | { readonly _tag: "Inserted"; readonly jobs: ReadonlyArray<Job> }
  | { readonly _tag: "Replayed"; readonly jobIds: ReadonlyArray<JobId> }
  | { readonly _tag: "KeyReused" }

/** `InsertOnceOutcome`, or refused whole because the user's pending + processing jobs would exceed `maxActive`. */
export type SubmitOutcome = InsertOnceOutcome | { readonly _tag: "OverCap"; readonly active: number }

/** A submission: its jobs (all one user's), its idempotency key if any, and the user's active-jobs cap. */
export interface Submission {
  readonly userId: UserId
  readonly jobs: ReadonlyArray<NewJob>
  readonly idempotency: IdempotencyKey | null
  readonly maxActive: number
}

/** How long an idempotency key is remembered. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000

export interface JobFailure {
  readonly message: string
  readonly type: string
  readonly failedStep: PipelineStep | null
}

/**
 * Durable state of users, jobs and emails. Every method is atomic on its own.
 * Job timestamps come from the caller (Effect's `Clock`), never from the store.
 */
export class Repo extends Context.Tag("@scribe/core/Repo")<
  Repo,
  {
    /** Creates the user on first sight; refreshes the email otherwise. */
    readonly upsertUser: (user: AuthUser, now: Date) => Effect.Effect<void, RepoError>
    /** Inserts jobs, all or none, in array order (which becomes their take order). */
    readonly insertJobs: (jobs: ReadonlyArray<NewJob>) => Effect.Effect<ReadonlyArray<Job>, RepoError>
    /**
     * `insertJobs` guarded by an idempotency key, in one transaction: the first use of a key inserts the jobs and
     * remembers their ids; a later use with the same request inserts nothing and returns those ids.
     */
    readonly insertJobsOnce: (
      key: IdempotencyKey,
      jobs: ReadonlyArray<NewJob>
    ) => Effect.Effect<InsertOnceOutcome, RepoError>
    /**
     * A submission, atomic per user (submissions of one user are serialised): a known idempotency key replays (or is
     * refused) whatever the cap; otherwise, when the user's pending + processing jobs plus these would exceed
     * `maxActive`, nothing is inserted (`OverCap`); else the jobs are inserted as `insertJobs` / `insertJobsOnce` do.
     */
    readonly submitJobs: (submission: Submission) => Effect.Effect<SubmitOutcome, RepoError>
    /** What a known idempotency key answers (`Replayed` or `KeyReused`), without writing; `None` when unknown. */
    readonly replay: (
      key: IdempotencyKey
    ) => Effect.Effect<Option.Option<Exclude<InsertOnceOutcome, { readonly _tag: "Inserted" }>>, RepoError>
    readonly findJob: (userId: UserId, id: JobId) => Effect.Effect<Option.Option<Job>, RepoError>
    /** The user's jobs created at or after `since`, oldest first, each with its position among all pending jobs. */
    readonly listQueue: (userId: UserId, since: Date) => Effect.Effect<ReadonlyArray<QueueEntry>, RepoError>
    /** Deletes the user's job if, at that instant, it is still pending. */
    readonly cancelPending: (userId: UserId, id: JobId) => Effect.Effect<CancelOutcome, RepoError>

    /**
     * Takes the first job in line that is pending and due, or processing with an expired lease, moving it to
     * `processing` under a lease to `workerId` and counting the attempt.
     */
    readonly claimNext: (options: {
      readonly workerId: string
      readonly now: Date
      readonly leaseUntil: Date
    }) => Effect.Effect<Option.Option<Job>, RepoError>
    /** Extends a held lease; false when the lease was lost (expired and taken, or the job is gone). */
    readonly renewLease: (lease: Lease, leaseUntil: Date) => Effect.Effect<boolean, RepoError>
    readonly recordProgress: (
      lease: Lease,
      progress: { readonly step: PipelineStep; readonly stepStatus: string | null; readonly stepTimings: StepTimings }
    ) => Effect.Effect<boolean, RepoError>
    /**
     * Stores the job's one email and marks the job completed, in one transaction. `false` (and nothing written) when
     * the lease is no longer held or the job already has an email. The same transaction counts the email, and the
     * tokens and cost of `usage`, in its user's usage of the UTC day of `now`.
     */
    readonly completeJob: (
      lease: Lease,
      result: {
        readonly email: Email
        readonly generationTime: number
        readonly stepTimings: StepTimings
        readonly now: Date
        readonly usage?: JobUsage
      }
    ) => Effect.Effect<boolean, RepoError>
    /** Marks the job failed; the same transaction counts it in its user's usage of the UTC day of `now`. */
    readonly failJob: (
      lease: Lease,
      failure: JobFailure & { readonly stepTimings: StepTimings; readonly now: Date }
    ) => Effect.Effect<boolean, RepoError>
    /** The user's recorded usage from UTC day `from` to `to` (`YYYY-MM-DD`, both included), by day ascending. */
    readonly usage: (userId: UserId, from: string, to: string) => Effect.Effect<ReadonlyArray<DailyUsage>, RepoError>
    /** Puts a held job back in line at its original place, due again at `availableAt`. */
    readonly releaseJob: (
      lease: Lease,
      retry: { readonly availableAt: Date; readonly lastError: JobFailure | null }
    ) => Effect.Effect<boolean, RepoError>

    readonly findEmail: (userId: UserId, id: EmailId) => Effect.Effect<Option.Option<Email>, RepoError>
    /** The user's emails, newest first; discarded ones (`displayed = false`) only when asked. */
    readonly listEmails: (userId: UserId, page: EmailPage) => Effect.Effect<ReadonlyArray<Email>, RepoError>
    readonly setDisplayed: (
      userId: UserId,
      id: EmailId,
      displayed: boolean
    ) => Effect.Effect<Option.Option<Email>, RepoError>
  }
>() {}
