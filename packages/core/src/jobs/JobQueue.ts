import type { Duration } from "effect"
import { Context, Data, Effect, Layer } from "effect"
import type { JobId } from "../Ids"
import { type JobFailure, type Lease, Repo } from "../store/Repo"
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

/** A job taken by a worker: moved to `processing` with the attempt counted, held under `lease` until `leaseUntil`. */
export interface Claim {
  readonly job: Job
  readonly lease: Lease
  readonly leaseUntil: Date
}

/**
 * Dispatch over the jobs table. The table is the source of truth: a job is taken by claiming its row, so an offer is
 * only a wake-up (one that gets lost delays a job, it never loses it), a job is held by one worker at a time, a lease
 * that is not renewed expires and the job is taken again, and every claim counts an attempt.
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
    /** Extends a held lease by `leaseDuration`; false when the lease was lost. */
    readonly renew: (lease: Lease) => Effect.Effect<boolean, JobQueueError>
    /** Puts a held job back in line (keeping its place), due at `availableAt`; false when the lease was lost. */
    readonly release: (
      lease: Lease,
      retry: { readonly availableAt: Date; readonly lastError: JobFailure | null }
    ) => Effect.Effect<boolean, JobQueueError>
    /** The job left `processing` for good (completed or failed): forget its message. Never fails. */
    readonly ack: (lease: Lease) => Effect.Effect<void>
  }
>() {}

/** What to offer for freshly inserted jobs: they are due at once (`available_at` = `created_at`). */
export const offersFor = (jobs: ReadonlyArray<Job>): ReadonlyArray<Offer> =>
  jobs.map((job) => ({ id: job.id, seq: job.seq, availableAt: job.createdAt }))

/**
 * The `Repo` with dispatch: jobs are offered to the `JobQueue` right after their insert commits. Wire it where jobs
 * are submitted (the API); the queue's own adapters use the plain `Repo` below it.
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
