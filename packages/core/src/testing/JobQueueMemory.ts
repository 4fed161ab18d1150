import { Clock, Deferred, Duration, Effect, Layer, Option, Ref } from "effect"
import { type Claim, JobQueue, type JobQueueError } from "../jobs/JobQueue"
import { MemoryLeases } from "./MemoryLeases"

export interface Options {
  readonly leaseDuration?: Duration.DurationInput
  /** The longest an idle taker waits without a wake-up. */
  readonly pollInterval?: Duration.DurationInput
}

/**
 * The `JobQueue` for one process over the in-memory store (`RepoMemory`): claims and settles through its
 * `MemoryLeases`, wake-ups in process. It learns when something falls due (a delayed retry, a lease expiring) from the
 * offers, releases and leases it handles itself, so everything goes through it.
 */
export const make = (options: Options = {}): Effect.Effect<typeof JobQueue.Service, never, MemoryLeases> =>
  Effect.gen(function* () {
    const leases = yield* MemoryLeases
    const leaseDuration = Duration.decode(options.leaseDuration ?? "1 minute")
    const leaseMs = Duration.toMillis(leaseDuration)
    const pollMs = Duration.toMillis(Duration.decode(options.pollInterval ?? "10 seconds"))
    const signal = yield* Ref.make(yield* Deferred.make<void>())
    // Future instants at which a job may become claimable.
    const dueTimes = yield* Ref.make<ReadonlyArray<number>>([])

    const wake = Effect.flatMap(Deferred.make<void>(), (next) => Ref.getAndSet(signal, next)).pipe(
      Effect.flatMap((fired) => Deferred.succeed(fired, undefined)),
      Effect.asVoid
    )
    const dueAt = (at: number) => Ref.update(dueTimes, (times) => [...times, at])
    const nextDue = (now: number) =>
      Ref.modify(dueTimes, (times) => {
        const future = times.filter((t) => t > now)
        return [future.length === 0 ? null : Math.min(...future), future] as const
      })

    const take = (workerId: string): Effect.Effect<Claim, JobQueueError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          while (true) {
            const armed = yield* Ref.get(signal)
            const now = yield* Clock.currentTimeMillis
            const leaseUntil = now + leaseMs
            const claimed = yield* leases.claimNext({ workerId, now: new Date(now), leaseUntil: new Date(leaseUntil) })
            if (Option.isSome(claimed)) {
              // The lease expires once the clock is past it (`until < now`).
              yield* dueAt(leaseUntil + 1)
              return {
                job: claimed.value,
                lease: { jobId: claimed.value.id, workerId },
                leaseUntil: new Date(leaseUntil)
              }
            }
            const next = yield* nextDue(now)
            const delay = next === null ? pollMs : Math.min(pollMs, next - now)
            yield* restore(Effect.raceFirst(Deferred.await(armed), Effect.sleep(Duration.millis(delay))))
          }
        })
      )

    return JobQueue.of({
      leaseDuration,
      offer: (jobs) =>
        Effect.gen(function* () {
          for (const job of jobs) yield* dueAt(job.availableAt.getTime())
          yield* wake
        }),
      take,
      renew: (claim) =>
        Effect.gen(function* () {
          const until = (yield* Clock.currentTimeMillis) + leaseMs
          const renewed = yield* leases.renew(claim.lease, new Date(until))
          if (renewed) yield* dueAt(until + 1)
          return renewed
        }),
      progress: (claim, progress) => leases.progress(claim.lease, progress),
      complete: (claim, completion) => leases.complete(claim.lease, completion),
      fail: (claim, failure) => leases.fail(claim.lease, failure),
      release: (claim, retry) =>
        Effect.gen(function* () {
          const released = yield* leases.release(claim.lease, retry)
          if (released) {
            yield* dueAt(retry.availableAt.getTime())
            yield* wake
          }
          return released
        })
    })
  })

export const layer = (options: Options = {}): Layer.Layer<JobQueue, never, MemoryLeases> =>
  Layer.effect(JobQueue, make(options))
