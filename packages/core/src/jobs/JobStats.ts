import type { Effect } from "effect"
import { Context } from "effect"
import type { RepoError } from "../store/Repo"
import type { JobStatus } from "./Job"

/** Jobs in the store right now, for the metrics endpoint. */
export interface JobCounts {
  readonly byStatus: Readonly<Record<JobStatus, number>>
  /** Creation time of the oldest pending job; `null` when none is pending. */
  readonly oldestPendingAt: Date | null
}

/** Counts jobs by status, cheaply enough to run at every metrics scrape. */
export class JobStats extends Context.Tag("@scribe/core/JobStats")<
  JobStats,
  { readonly counts: Effect.Effect<JobCounts, RepoError> }
>() {}
