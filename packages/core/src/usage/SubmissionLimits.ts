import type { Effect } from "effect"
import { Context } from "effect"
import type { UserId } from "../Ids"
import type { SubmissionRateLimited } from "./Guardrails"

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
