import { Duration, Effect, Random } from "effect"

/** When a transient failure is tried again, and how often at most. */
export interface RetryPolicy {
  /** Attempts per job, the first included. */
  readonly maxAttempts: number
  /** The delay after the first failure, before jitter; it doubles with each further failure. */
  readonly base: Duration.Duration
  /** The longest delay, before jitter. */
  readonly max: Duration.Duration
}

/** An upstream's `Retry-After` is honoured up to this long; beyond it the job waits this long. */
export const maxRetryAfter = Duration.hours(1)

/**
 * The delay before retrying after attempt `attempt` (1-based) failed: exponential from `base`, capped at `max`, with
 * "equal jitter" (half fixed, half uniformly random, so workers that failed together spread out), and never shorter
 * than the upstream's own `Retry-After`.
 */
export const retryDelay = (
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | null
): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (random) => {
    const exponential = Math.min(
      Duration.toMillis(policy.max),
      Duration.toMillis(policy.base) * 2 ** Math.max(0, attempt - 1)
    )
    const jittered = exponential / 2 + (random * exponential) / 2
    const floor = Math.min(Math.max(0, retryAfterMs ?? 0), Duration.toMillis(maxRetryAfter))
    return Duration.millis(Math.round(Math.max(jittered, floor)))
  })

/** The bounds `retryDelay` stays within for `attempt` when the upstream gave no `Retry-After`. */
export const retryDelayBounds = (
  policy: RetryPolicy,
  attempt: number
): { readonly min: Duration.Duration; readonly max: Duration.Duration } => {
  const exponential = Math.min(
    Duration.toMillis(policy.max),
    Duration.toMillis(policy.base) * 2 ** Math.max(0, attempt - 1)
  )
  return { min: Duration.millis(Math.floor(exponential / 2)), max: Duration.millis(Math.ceil(exponential)) }
}
