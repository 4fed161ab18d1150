import type { JobId } from "@scribe/core/Ids"
import type { JobQueueError } from "@scribe/core/jobs/JobQueue"
import { Clock, Duration, Effect, type Scope } from "effect"
import { JobLeases, workerName } from "../sql/JobLeases"

export interface Options {
  /** How often this process proves its workers alive and looks for silent ones (default 1 s). */
  readonly interval?: Duration.DurationInput
  /** How long a worker may stay silent before its jobs are handed back (default 3 s). */
  readonly silence?: Duration.DurationInput
}

/**
 * Wall-clock time for liveness: a process's, a socket's or a listener's silence is measured in real seconds, whatever
 * clock schedules jobs (a test's clock may jump a day ahead while a connection answers in milliseconds).
 */
export const wallClock = Clock.make()

/**
 * Crash recovery in seconds, for dispatch shared by several processes. Every worker that takes through this process
 * (known by the name its lease owners start with) beats every `interval` in `queue_workers`; every process, every
 * `interval`, hands back the jobs of the workers silent for `silence` (`JobLeases.reap`) and calls `reaped` with them
 * so takers everywhere are woken. A worker killed, cut off from the database or frozen has its jobs back in line within
 * `silence` plus `interval`; a slow job on a live worker keeps its lease, whose length is unchanged. A worker restarted
 * under the same name (a fixed `SCRIBE_WORKER_NAME`) beats at once, so silence would never show: its first take hands
 * back what the earlier process left leased (`JobLeases.arrive`).
 */
export const make = (
  reaped: (ids: ReadonlyArray<JobId>) => Effect.Effect<void, JobQueueError>,
  options: Options = {}
): Effect.Effect<{ readonly register: (workerId: string) => Effect.Effect<void> }, never, JobLeases | Scope.Scope> =>
  Effect.gen(function* () {
    const leases = yield* JobLeases
    const interval = Duration.decode(options.interval ?? "1 second")
    const silentMs = Duration.toMillis(Duration.decode(options.silence ?? "3 seconds"))
    const names = new Set<string>()

    const round = Effect.gen(function* () {
      if (names.size > 0) yield* leases.beat([...names])
      const ids = yield* leases.reap(silentMs)
      if (ids.length > 0) {
        yield* Effect.logWarning(`JobQueue: ${ids.length} job(s) of silent workers handed back`)
        yield* reaped(ids)
      }
    }).pipe(Effect.withSpan("JobQueue.heartbeat"))

    yield* round.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("JobQueue: heartbeat failed; retrying", cause)),
      Effect.zipRight(Effect.sleep(interval)),
      Effect.forever,
      Effect.withClock(wallClock),
      Effect.forkScoped
    )

    // One arrival per name, the others of this process waiting for it: a claim made meanwhile would be handed back.
    const arriving = yield* Effect.makeSemaphore(1)
    return {
      // A worker's first take beats at once, so it is known before it holds anything, and takes back what an earlier
      // process of the same name left leased.
      register: (workerId) =>
        Effect.suspend(() => {
          const name = workerName(workerId)
          if (names.has(name)) return Effect.void
          return arriving.withPermits(1)(
            Effect.suspend(() => {
              if (names.has(name)) return Effect.void
              return leases.arrive(name).pipe(
                Effect.flatMap((ids) =>
                  ids.length === 0
                    ? Effect.void
                    : Effect.zipRight(
                        Effect.logWarning(`JobQueue: ${ids.length} job(s) left by an earlier ${name} handed back`),
                        reaped(ids)
                      )
                ),
                Effect.catchAll((error) => Effect.logWarning("JobQueue: first heartbeat failed", error)),
                Effect.ensuring(Effect.sync(() => names.add(name)))
              )
            })
          )
        })
    }
  })
