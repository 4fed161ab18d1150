import type { Duration } from "effect"
import { Context, Data, Effect, Layer } from "effect"
import type { Email } from "../emails/Email"
import type { JobId } from "../Ids"
import type { PipelineStep, StepTimings } from "../pipeline/PipelineStep"
import { Repo } from "../store/Repo"
import type { JobUsage } from "../usage/Usage"
import type { Job } from "./Job"

/** The dispatch store (Redis, the database) could not be reached or refused an operation. */
export class JobQueueError extends Data.TaggedError("JobQueueError")<{
  readonly operation: string
  readonly cause: unknown
}> {}

/** A job committed as pending, announced to the queue: in line at `seq`, due at `availableAt`. */
export interface Offer {
  readonly id: JobId
  readonly seq: number
  readonly availableAt: Date
}

/** Who holds a job. A write to a job counts only while its holder holds the lease. */
export interface Lease {
  readonly jobId: JobId
  readonly workerId: string
}

/**
 * A job taken by a worker: moved to `processing` at its first step with the attempt counted, held under `lease` until
 * `leaseUntil` unless renewed. The queue settles it: pass it back to `complete`, `fail` or `release`.
 */
export interface Claim {
  readonly job: Job
  readonly lease: Lease
  readonly leaseUntil: Date
}

/** Why a job failed: shown in its task's `error`; `failedStep` when known. */
export interface JobFailure {
  readonly message: string
  readonly type: string
  readonly failedStep: PipelineStep | null
}

/** Where a running job is: its step (shown with that step's `stepStatus`) and the time its finished steps took. */
export interface JobProgress {
  readonly step: PipelineStep
  readonly stepTimings: StepTimings
}

/** A job's result: its one email, counted with what it spent in its user's usage of the UTC day of `now`. */
export interface Completion {
  readonly email: Email
  readonly generationTime: number
  readonly stepTimings: StepTimings
  readonly now: Date
  readonly usage?: JobUsage
}

/** A job's end in failure, counted in its user's usage of the UTC day of `now`. */
export interface Failure extends JobFailure {
  readonly stepTimings: StepTimings
  readonly now: Date
}

/** A job put back in line: due again at `availableAt`, remembering the error of the attempt that gave it back. */
export interface Retry {
  readonly availableAt: Date
  readonly lastError: JobFailure | null
}

/**
 * Dispatch over the jobs table, and the life of a taken job until it ends. The table is the source of truth: a job is
 * taken by claiming its row, so an offer is only a wake-up (one that gets lost delays a job, it never loses it), a job
 * is held by one worker at a time, a lease that is not renewed expires and the job is taken again, and every claim
 * counts an attempt. A claim is settled by exactly one of `complete`, `fail` (the job ends; its message, if any, is
 * forgotten) or `release` (back in line). Every method on a claim answers `false`, and changes nothing, once the claim
 * no longer holds its job (its lease expired and another worker took it, or the job is gone).
 */
export class JobQueue extends Context.Tag("@scribe/core/JobQueue")<
  JobQueue,
  {
    /** How long a claim holds its job unless renewed. */
    readonly leaseDuration: Duration.Duration
    /** Announces jobs whose rows were just committed (inserted or put back in line). Never fails: only a hint. */
    readonly offer: (jobs: ReadonlyArray<Offer>) => Effect.Effect<void>
    /**
     * Claims the first due job in line (FIFO by `seq`) for `workerId`, waiting — without polling — until there is one.
     * `workerId` names this claim's holder: pass a fresh one per take so a stale holder can never write.
     */
    readonly take: (workerId: string) => Effect.Effect<Claim, JobQueueError>
    /** Extends the claim's lease by `leaseDuration`. */
    readonly renew: (claim: Claim) => Effect.Effect<boolean, JobQueueError>
    /** Records where the job is, for its task status. */
    readonly progress: (claim: Claim, progress: JobProgress) => Effect.Effect<boolean, JobQueueError>
    /**
     * Stores the job's one email and completes the job, in one transaction. `false` (and nothing written) also when
     * the job already has an email.
     */
    readonly complete: (claim: Claim, completion: Completion) => Effect.Effect<boolean, JobQueueError>
    /** Fails the job for good. */
    readonly fail: (claim: Claim, failure: Failure) => Effect.Effect<boolean, JobQueueError>
    /** Puts the job back in line, keeping its place, due at `availableAt`. */
    readonly release: (claim: Claim, retry: Retry) => Effect.Effect<boolean, JobQueueError>
  }
>() {}

/** What to offer for freshly inserted jobs: they are due at once (`available_at` = `created_at`). */
export const offersFor = (jobs: ReadonlyArray<Job>): ReadonlyArray<Offer> =>
  jobs.map((job) => ({ id: job.id, seq: job.seq, availableAt: job.createdAt }))

/**
 * The `Repo` with dispatch: jobs are offered to the `JobQueue` right after their insert commits. Wire it where jobs
 * are submitted (the API).
 */
export const layerOfferingRepo: Layer.Layer<Repo, never, Repo | JobQueue> = Layer.effect(
  Repo,
  Effect.gen(function* () {
    const repo = yield* Repo
    const queue = yield* JobQueue
    return Repo.of({
      ...repo,
      insertJobs: (jobs) => Effect.tap(repo.insertJobs(jobs), (inserted) => queue.offer(offersFor(inserted))),
      insertJobsOnce: (key, jobs) =>
        Effect.tap(repo.insertJobsOnce(key, jobs), (outcome) =>
          outcome._tag === "Inserted" ? queue.offer(offersFor(outcome.jobs)) : Effect.void
        ),
      submitJobs: (submission) =>
        Effect.tap(repo.submitJobs(submission), (outcome) =>
          outcome._tag === "Inserted" ? queue.offer(offersFor(outcome.jobs)) : Effect.void
        )
    })
  })
)
