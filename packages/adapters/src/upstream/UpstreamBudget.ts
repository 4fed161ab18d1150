import type * as RateLimiter from "@effect/experimental/RateLimiter"
import { Duration, Effect } from "effect"

/**
 * Spending the upstream budgets (LLM requests and tokens per minute, search requests per second, arXiv spacing) from
 * the `RateLimiter` the root provides (`Budgets.layerConfig`: Redis-shared across workers, or in process).
 */

export interface Budget {
  readonly key: string
  readonly limit: number
  readonly window: Duration.DurationInput
  readonly algorithm: "fixed-window" | "token-bucket"
  readonly tokens?: number
}

/** Reserves the budget's tokens, capped at its limit (more could never be granted); says how long to wait for them. */
const reserve = (limiter: RateLimiter.RateLimiter, budget: Budget) =>
  limiter.consume({
    key: budget.key,
    limit: budget.limit,
    window: budget.window,
    algorithm: budget.algorithm,
    tokens: Math.min(budget.tokens ?? 1, budget.limit),
    onExceeded: "delay"
  })

/**
 * Waits until the budget allows `tokens` (default 1), reserving them. A store that fails (Redis down) is logged and
 * the call goes ahead: the upstream's own 429 handling still protects it.
 */
export const take = (limiter: RateLimiter.RateLimiter, budget: Budget): Effect.Effect<void> =>
  reserve(limiter, budget).pipe(
    // The span marks a wait for the budget; a budget with room (most takes) costs no span.
    Effect.flatMap(({ delay }) =>
      Duration.isZero(delay)
        ? Effect.void
        : Effect.sleep(delay).pipe(
            Effect.withSpan("UpstreamBudget.wait", {
              attributes: { key: budget.key, "budget.delay_ms": Duration.toMillis(delay) }
            })
          )
    ),
    Effect.catchAll((error) =>
      Effect.logWarning(`UpstreamBudget: the rate limiter store failed for ${budget.key}; going ahead`, error)
    )
  )

/** Reserves `tokens` more without waiting (usage learned after the fact, or a penalty after a 429/503). */
export const charge = (limiter: RateLimiter.RateLimiter, budget: Budget): Effect.Effect<void> =>
  reserve(limiter, budget).pipe(Effect.asVoid, Effect.ignore)
