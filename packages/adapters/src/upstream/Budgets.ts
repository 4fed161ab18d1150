import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as RateLimiterRedis from "@effect/experimental/RateLimiter/Redis"
import { type ConfigError, Effect, Layer, Option } from "effect"
import type { RedisOptions } from "ioredis"
import * as RedisConfig from "../ops/RedisConfig"

/**
 * Upstream budgets (arXiv, LLM, search) as `@effect/experimental`'s `RateLimiter`. The adapters that call an upstream
 * consume from it by key; where the counters live decides who shares them.
 */

/** Counters in this process: budgets are per process. */
export const layerMemory: Layer.Layer<RateLimiter.RateLimiter> = RateLimiter.layer.pipe(
  Layer.provide(RateLimiter.layerStoreMemory)
)

/** Counters in Redis under `prefix`: every process (every worker, on any machine) with the same prefix shares them. */
export const layerRedis = (options: RedisOptions, prefix: string): Layer.Layer<RateLimiter.RateLimiter> =>
  RateLimiter.layer.pipe(Layer.provide(RateLimiterRedis.layerStore({ ...options, prefix })))

/** Redis when `REDIS_URL` is set (keys under `<SCRIBE_REDIS_PREFIX>budget:`), in process otherwise. */
export const layerConfig: Layer.Layer<RateLimiter.RateLimiter, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const redis = yield* RedisConfig.redisUrl
    const prefix = yield* RedisConfig.redisPrefix
    return Option.match(redis, {
      onNone: () => layerMemory,
      onSome: (options) => layerRedis(options, `${prefix}budget:`)
    })
  })
)
