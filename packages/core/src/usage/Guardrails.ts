import type { Effect } from "effect"
import { Context, Schema } from "effect"
import type { UserId } from "../Ids"

/**
 * Per-user limits on submissions (generate, batch): how many jobs a user may have pending or processing at once, and
 * how many submissions a user may make per minute. Both refuse a submission whole; an idempotent replay is never
 * refused (it creates nothing).
 */
export class SubmissionLimits extends Context.Tag("@scribe/core/SubmissionLimits")<
  SubmissionLimits,
  {
    /** Pending + processing jobs a user may have; a submission that would exceed it inserts nothing. */
    readonly maxActiveJobsPerUser: number
    /** Takes one submission from the user's per-minute allowance; fails, taking nothing, when it is spent. */
    readonly admit: (userId: UserId) => Effect.Effect<void, SubmissionRateLimited>
  }
>() {}

/** How long a client refused by the active-jobs cap is asked to wait: jobs take tens of seconds each. */
export const activeCapRetryAfterSeconds = 60

/** A submission would take the user's pending + processing jobs past the cap. */
export class TooManyActiveJobs extends Schema.TaggedError<TooManyActiveJobs>()("TooManyActiveJobs", {
  active: Schema.Number,
  requested: Schema.Number,
  max: Schema.Number,
  retryAfterSeconds: Schema.Number
}) {}

/** The user made more submissions in the last minute than allowed. */
export class SubmissionRateLimited extends Schema.TaggedError<SubmissionRateLimited>()("SubmissionRateLimited", {
  limit: Schema.Number,
  retryAfterSeconds: Schema.Number
}) {}

/** The `type` of a job failed because its user's daily token budget is spent. */
export const budgetExceededType = "BudgetExceeded"

export const budgetExceededMessage = (used: number, budget: number) =>
  `Daily token budget exceeded: ${used} of ${budget} tokens used today (UTC); the job was not run. ` +
  "The budget resets at 00:00 UTC."
