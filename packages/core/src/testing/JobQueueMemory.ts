import { Clock, Deferred, Duration, Effect, Layer, Option, Ref } from "effect"
import { type Claim, JobQueue, JobQueueError } from "../jobs/JobQueue"
import { Repo } from "../store/Repo"

export interface Options {
  readonly leaseDuration?: Duration.DurationInput
  /** The longest an idle taker waits without a wake-up. */
  readonly pollInterval?: Duration.DurationInput
}

/**
 * The `JobQueue` for one process over any `Repo` (the in-memory one in tests): claims through `Repo.claimNext`,
 * wake-ups in process. It learns when something falls due (a delayed retry, a lease expiring) from the offers,
 * releases and leases it handles itself, so everything goes through it.
 */
export const make = (options: Options = {}): Effect.Effect<typeof JobQueue.Service, never, Repo> =>
  Effect.gen(function* () {
    const repo = yield* Repo
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
    const error = (operation: string) => Effect.mapError((cause: unknown) => new JobQueueError({ operation, cause }))

    const take = (workerId: string): Effect.Effect<Claim, JobQueueError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          while (true) {
            const armed = yield* Ref.get(signal)
            const now = yield* Clock.currentTimeMillis
            const leaseUntil = now + leaseMs
            const claimed = yield* repo.claimNext({ workerId, now: new Date(now), leaseUntil: new Date(leaseUntil) })
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
      ).pipe(error("take"))

    return JobQueue.of({
      leaseDuration,
      offer: (jobs) =>
        Effect.gen(function* () {
          for (const job of jobs) yield* dueAt(job.availableAt.getTime())
          yield* wake
        }),
      take,
      renew: (lease) =>
        Effect.gen(function* () {
          const until = (yield* Clock.currentTimeMillis) + leaseMs
          const renewed = yield* repo.renewLease(lease, new Date(until))
          if (renewed) yield* dueAt(until + 1)
          return renewed
        }).pipe(error("renew")),
      release: (lease, retry) =>
        Effect.gen(function* () {
          const released = yield* repo.releaseJob(lease, retry)
          if (released) {
            yield* dueAt(retry.availableAt.getTime())
            yield* wake
          }
          return released
        }).pipe(error("release")),
      ack: () => Effect.void
    })
  })

export const layer = (options: Options = {}): Layer.Layer<JobQueue, never, Repo> =>
  Layer.effect(JobQueue, make(options))
