import type { Claim, JobQueueError } from "@scribe/core/jobs/JobQueue"
import { Clock, type Context, type Duration, Effect, Option } from "effect"
import type { JobLeases } from "../sql/JobLeases"
import * as Wakeup from "./Wakeup"

/**
 * The loop a queue's taker runs until it has a claim (PostgreSQL dispatch, and Redis in both orders): a wake-up is
 * armed before every try, so one sent while the store is asked is not lost, and between tries the taker waits for it,
 * for the instant the try named, or for the poll.
 */

/** What one try at a claim came to. */
export type Try =
  | { readonly _tag: "Claimed"; readonly claim: Claim }
  /** Nothing to claim: wait for a wake-up, or until `untilMs` when something falls due then (null: the poll). */
  | { readonly _tag: "Wait"; readonly untilMs: number | null }
  /** Try again at once. */
  | { readonly _tag: "Again" }

export const claimed = (claim: Claim): Try => ({ _tag: "Claimed", claim })
export const waitUntil = (untilMs: number | null): Try => ({ _tag: "Wait", untilMs })
export const again: Try = { _tag: "Again" }

/**
 * Tries until a try claims. Run inside `Effect.uninterruptibleMask`: only the waits go through `restore`, so a claim,
 * once made, is returned (or, if the taker was interrupted meanwhile, left to its lease, which expires).
 */
export const untilClaimed = (
  wakeup: Wakeup.Wakeup,
  poll: Duration.Duration,
  restore: (wait: Effect.Effect<void>) => Effect.Effect<void>,
  attempt: (now: number) => Effect.Effect<Try, JobQueueError>
): Effect.Effect<Claim, JobQueueError> =>
  Effect.gen(function* () {
    while (true) {
      const armed = yield* wakeup.arm
      const result = yield* attempt(yield* Clock.currentTimeMillis)
      if (result._tag === "Claimed") return result.claim
      if (result._tag === "Wait") {
        yield* restore(Wakeup.waitFor(armed, yield* Clock.currentTimeMillis, result.untilMs, poll))
      }
    }
  })

/** The database's claim of the next due job (`JobLeases.claimNext`) for `workerId` at `now`, leased for `leaseMs`. */
export const claimNext = (
  leases: Context.Tag.Service<JobLeases>,
  workerId: string,
  now: number,
  leaseMs: number
): Effect.Effect<Option.Option<Claim>, JobQueueError> => {
  const leaseUntil = new Date(now + leaseMs)
  return Effect.map(
    leases.claimNext({ workerId, now: new Date(now), leaseUntil }),
    Option.map((job) => ({ job, lease: { jobId: job.id, workerId }, leaseUntil }))
  )
}

/** When the next job falls due after `now` (a delayed retry, a lease's expiry), in ms; null: none known. */
export const nextDue = (
  leases: Context.Tag.Service<JobLeases>,
  now: number
): Effect.Effect<number | null, JobQueueError> =>
  Effect.map(leases.nextDue(new Date(now)), (next) => Option.getOrNull(Option.map(next, (d) => d.getTime())))
