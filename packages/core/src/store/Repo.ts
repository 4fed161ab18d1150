import type { Effect, Option } from "effect"
import { Context, Data } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import type { Email, EmailPage } from "../emails/Email"
import type { EmailId, JobId, UserId } from "../Ids"
import type { InvalidQueueWeight } from "../jobs/FairOrder"
import type { Job, JobStatus, NewJob, QueueEntry } from "../jobs/Job"
import type { DailyUsage } from "../usage/Usage"

/** The store could not be reached or refused an operation. */
export class RepoError extends Data.TaggedError("RepoError")<{
  readonly operation: string
  readonly cause: unknown
}> {}

export type CancelOutcome =
  | { readonly _tag: "Cancelled" }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "NotCancellable"; readonly status: JobStatus }

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

/**
 * Durable state of users, jobs and emails. Every method is atomic on its own. A job's life once claimed (its progress,
 * its email, its end) is the `JobQueue`'s. Job timestamps come from the caller (Effect's `Clock`), never from the store.
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
    /**
     * The user's weight in the fair order (an integer from 1 to 100; every user has 1 until set): a turn serves up to
     * that many of the user's jobs before the next user's. Takes effect from the next claim, in the listed positions
     * too; the turn under way keeps what it has served. Anything else is refused (`InvalidQueueWeight`).
     */
    readonly setQueueWeight: (userId: UserId, weight: number) => Effect.Effect<void, RepoError | InvalidQueueWeight>
    /** Deletes the user's job if, at that instant, it is still pending. */
    readonly cancelPending: (userId: UserId, id: JobId) => Effect.Effect<CancelOutcome, RepoError>
    /**
     * The user's recorded usage from UTC day `from` to `to` (`YYYY-MM-DD`, both included), by day ascending: what the
     * jobs the `JobQueue` completed or failed counted.
     */
    readonly usage: (userId: UserId, from: string, to: string) => Effect.Effect<ReadonlyArray<DailyUsage>, RepoError>
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
