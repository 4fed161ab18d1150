import * as RateLimiter from "@effect/experimental/RateLimiter"
import type { UserId } from "@scribe/core/Ids"
import { SubmissionRateLimited } from "@scribe/core/usage/Guardrails"
import { SubmissionLimits } from "@scribe/core/usage/SubmissionLimits"
import { Config, type ConfigError, Duration, Effect, Layer } from "effect"
import * as Budgets from "../upstream/Budgets"

export interface Options {
  /** Pending + processing jobs a user may have at once. */
  readonly maxActiveJobsPerUser: number
  /** Submissions (generate or batch, whatever its size) a user may make per minute. */
  readonly submissionsPerMinute: number
}

export const defaults: Options = { maxActiveJobsPerUser: 200, submissionsPerMinute: 30 }

/**
 * The per-user submission limits, the rate counted by `@effect/experimental`'s `RateLimiter` (one fixed one-minute
 * window per user, keys `submissions:<user>`). A failing store (Redis down) lets the submission through, logged: the
 * active-jobs cap, enforced by the database, still bounds a user.
 */
export const make = (options: Options) =>
  Effect.gen(function* () {
    const limiter = yield* RateLimiter.RateLimiter
    const admit = (userId: UserId) =>
      limiter
        .consume({
          key: `submissions:${userId}`,
          limit: options.submissionsPerMinute,
          window: Duration.minutes(1),
          algorithm: "fixed-window",
          onExceeded: "fail"
        })
        .pipe(
          Effect.asVoid,
          Effect.catchAll((error) =>
            error.reason === "Exceeded"
              ? Effect.fail(
                  new SubmissionRateLimited({
                    limit: options.submissionsPerMinute,
                    retryAfterSeconds: Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))
                  })
                )
              : Effect.logWarning("SubmissionLimits: the rate limiter store failed; submission let through", error)
          ),
          Effect.withSpan("SubmissionLimits.admit")
        )
    return SubmissionLimits.of({ maxActiveJobsPerUser: options.maxActiveJobsPerUser, admit })
  })

export const layer = (options: Options): Layer.Layer<SubmissionLimits, never, RateLimiter.RateLimiter> =>
  Layer.effect(SubmissionLimits, make(options))

const positiveInt = (name: string, fallback: number, max: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be an integer between 1 and ${max}`,
      validation: (n) => Number.isInteger(n) && n >= 1 && n <= max
    })
  )

/** `SCRIBE_MAX_ACTIVE_JOBS_PER_USER` (200) and `SCRIBE_SUBMISSIONS_PER_MINUTE` (30); invalid values fail at start. */
export const config: Config.Config<Options> = Config.all({
  maxActiveJobsPerUser: positiveInt("SCRIBE_MAX_ACTIVE_JOBS_PER_USER", defaults.maxActiveJobsPerUser, 1_000_000),
  submissionsPerMinute: positiveInt("SCRIBE_SUBMISSIONS_PER_MINUTE", defaults.submissionsPerMinute, 1_000_000)
})

/** `layer` from the environment, counting in Redis when `REDIS_URL` is set (shared by every API process). */
export const layerConfig: Layer.Layer<SubmissionLimits, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, layer)
).pipe(Layer.provide(Budgets.layerConfig))
