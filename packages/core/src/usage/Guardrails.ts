import { Schema } from "effect"

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
