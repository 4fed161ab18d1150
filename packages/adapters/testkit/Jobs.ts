import { randomUUID } from "node:crypto"
import { AuthUser } from "@scribe/core/auth/AuthUser"
import { Email } from "@scribe/core/emails/Email"
import { EmailId, JobId, UserId } from "@scribe/core/Ids"
import { type Job, NewJob } from "@scribe/core/jobs/Job"
import type { Completion, Failure, Lease } from "@scribe/core/jobs/JobQueue"
import type { Repo } from "@scribe/core/store/Repo"
import { type Context, Effect, type Option } from "effect"

/** Test data for the queue: users and the jobs they submit. */

/**
 * A store's lease side (the SQL adapters' `JobLeases`, the memory store's `MemoryLeases`), as tests use it to play the
 * worker that takes and ends jobs and then look at what the store shows.
 */
export interface StoreLeases {
  readonly claimNext: (request: {
    readonly workerId: string
    readonly now: Date
    readonly leaseUntil: Date
  }) => Effect.Effect<Option.Option<Job>, unknown>
  readonly complete: (lease: Lease, completion: Completion) => Effect.Effect<boolean, unknown>
  readonly fail: (lease: Lease, failure: Failure) => Effect.Effect<boolean, unknown>
}

export const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"

/** A user no other test shares: `label` and a random suffix. */
export const freshUser = (label: string, email: string | null = null) =>
  new AuthUser({ id: UserId.make(`${label}-${randomUUID()}`), email })

/** A job `owner` submits at `createdAt`, for `recipientName`; `fields` replace the other defaults. */
export const newJob = (
  owner: AuthUser,
  createdAt: Date,
  recipientName = "Dr. Ada Lovelace",
  fields: Partial<Pick<NewJob, "batchId" | "recipientInterest" | "emailTemplate">> = {}
) =>
  new NewJob({
    id: JobId.make(randomUUID()),
    userId: owner.id,
    batchId: null,
    recipientName,
    recipientInterest: "analytical engines",
    emailTemplate: template,
    createdAt,
    ...fields
  })

/** `count` recipients: "Dr. Recipient 0", "Dr. Recipient 1", … */
export const recipients = (count: number, prefix = "Dr. Recipient") =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i}`)

/** Stores `owner` and inserts one job of theirs per recipient, created `now`, through `repo`; the jobs as inserted. */
export const insertJobsFor = (
  repo: Context.Tag.Service<Repo>,
  owner: AuthUser,
  now: Date,
  names: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    yield* repo.upsertUser(owner, now)
    return yield* repo.insertJobs(names.map((name) => newJob(owner, now, name)))
  })

/** The email a stand-in worker writes for `job` at `createdAt` ("Dear <recipient>, …", a research email). */
export const emailFor = (job: Job, createdAt: Date, fields: Partial<Pick<Email, "metadata" | "isConfident">> = {}) =>
  new Email({
    id: EmailId.make(randomUUID()),
    userId: job.userId,
    jobId: job.id,
    recipientName: job.recipientName,
    recipientInterest: job.recipientInterest,
    emailMessage: `Dear ${job.recipientName}, …`,
    templateType: "research",
    metadata: {},
    isConfident: false,
    displayed: true,
    createdAt,
    ...fields
  })
