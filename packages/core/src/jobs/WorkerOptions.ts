import type { Duration } from "effect"
import type { PriceTable } from "../usage/Usage"
import type { RetryPolicy } from "./RetryPolicy"

export interface WorkerOptions {
  /** Names this worker's leases (`<name>/<slot>/<n>`), so a job's holder can be told in the table. */
  readonly name: string
  /** Jobs run at once. */
  readonly concurrency: number
  /** Hard limit per attempt: the work is interrupted and the attempt counts as a transient failure. */
  readonly taskTimeout: Duration.Duration
  readonly retry: RetryPolicy
  /** On shutdown, how long a running job may take to finish before it is put back in line. */
  readonly shutdownGrace: Duration.Duration
  /** Prices the tokens of each email (its `cost_usd`); the built-in table when absent. */
  readonly prices?: PriceTable
  /**
   * Tokens a user may spend per UTC day: a job of a user who has spent it fails before any upstream call. Checked
   * when a job starts, so the job that crosses it finishes. Absent or `null`: unlimited.
   */
  readonly dailyTokenBudget?: number | null
}

/**
 * Jobs a worker runs at once by default. The upstream budgets are global, so extra jobs wait for budget instead of
 * overrunning it. With the scholarly lookups grouped and cached, arXiv's spacing no longer bounds a batch: the search
 * and LLM budgets do, and a job holds its slot for about one critical path (~10 s) — at 5 searches a second (2.5 jobs
 * a second) that is ~25 jobs under way, so 32 keeps the budgets busy (docs/benchmarks.md, "throughput"), and a job's
 * wait for budget stays far inside the per-attempt limit.
 */
export const defaultConcurrency = 32

/** The options' defaults, in the units the environment gives them in. */
export const defaults = {
  concurrency: defaultConcurrency,
  taskTimeoutSeconds: 180,
  maxAttempts: 3,
  retryBaseSeconds: 5,
  retryMaxSeconds: 300,
  shutdownGraceSeconds: 25
} as const
