import { Clock, Effect, Layer, Ref } from "effect"
import type { UserId } from "../Ids"
import { SubmissionRateLimited } from "../usage/Guardrails"
import { SubmissionLimits } from "../usage/SubmissionLimits"

/**
 * In-memory submission limits for unit tests: a fixed one-minute window per user on Effect's `Clock` (so `TestClock`
 * moves it). The service's own is `@scribe/adapters/SubmissionLimits` (the `RateLimiter`, memory or Redis).
 */
export const make = (options: { readonly maxActiveJobsPerUser: number; readonly submissionsPerMinute: number }) =>
  Effect.gen(function* () {
    type Windows = ReadonlyMap<UserId, { readonly start: number; readonly count: number }>
    const windows = yield* Ref.make<Windows>(new Map())
    const admit = (userId: UserId) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const refusedFor = yield* Ref.modify(windows, (map): readonly [number | null, Windows] => {
          const seen = map.get(userId)
          const current = seen === undefined || now - seen.start >= 60_000 ? { start: now, count: 0 } : seen
          if (current.count >= options.submissionsPerMinute) return [current.start + 60_000 - now, map]
          return [null, new Map(map).set(userId, { start: current.start, count: current.count + 1 })]
        })
        if (refusedFor !== null) {
          return yield* new SubmissionRateLimited({
            limit: options.submissionsPerMinute,
            retryAfterSeconds: Math.max(1, Math.ceil(refusedFor / 1000))
          })
        }
      })
    return SubmissionLimits.of({ maxActiveJobsPerUser: options.maxActiveJobsPerUser, admit })
  })

export const layerWith = (options: { readonly maxActiveJobsPerUser: number; readonly submissionsPerMinute: number }) =>
  Layer.effect(SubmissionLimits, make(options))

/** Limits no unit test meets unless it means to. */
export const layer = layerWith({ maxActiveJobsPerUser: 1_000_000, submissionsPerMinute: 1_000_000 })
