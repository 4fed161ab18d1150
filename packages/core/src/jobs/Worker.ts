import { Cause, Deferred, Duration, Effect, Exit, Fiber, Layer, Option } from "effect"
import { currentDate } from "../Now"
import type { Repo } from "../store/Repo"
import * as Attempt from "./Attempt"
import type { Generator } from "./Generator"
import { type Claim, JobQueue } from "./JobQueue"
import type { WorkerOptions } from "./WorkerOptions"

/**
 * The worker: `concurrency` loops, each taking a job, running the `Generator` on it under a renewed lease and a hard
 * time limit, and settling it through the queue — completed with its email, failed, or put back in line for a retry
 * (see `Attempt`). On shutdown it stops taking and gives running jobs `shutdownGrace` to finish.
 */
export const make = (options: WorkerOptions) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const stopping = yield* Deferred.make<void>()
    const attempt = yield* Attempt.make(options, stopping)

    /** Takes the next job, or `None` once stopping; a job claimed while stopping goes straight back in line. */
    const takeUnlessStopping = (workerId: string) =>
      Effect.gen(function* () {
        const taking = yield* Effect.fork(queue.take(workerId))
        const first = yield* Effect.raceFirst(
          Effect.map(Fiber.await(taking), Option.some),
          Effect.as(Deferred.await(stopping), Option.none())
        )
        if (Option.isSome(first)) return Exit.map(first.value, Option.some)
        const exit = yield* Fiber.interrupt(taking)
        if (Exit.isSuccess(exit)) {
          const now = yield* currentDate
          yield* queue.release(exit.value, { availableAt: now, lastError: null }).pipe(Effect.ignore)
        }
        return Exit.succeed(Option.none<Claim>())
      })

    const slot = (index: number) =>
      Effect.gen(function* () {
        let taken = 0
        let failures = 0
        while (!(yield* Deferred.isDone(stopping))) {
          taken += 1
          const exit = yield* takeUnlessStopping(`${options.name}/${index}/${taken}`)
          if (Exit.isFailure(exit)) {
            failures += 1
            const backoff = Duration.millis(Math.min(5000, 100 * 2 ** Math.min(failures, 6)))
            yield* Effect.logWarning(`Worker: taking a job failed; retrying in ${Duration.format(backoff)}`, exit.cause)
            yield* Effect.raceFirst(Effect.sleep(backoff), Deferred.await(stopping))
            continue
          }
          failures = 0
          if (Option.isNone(exit.value)) return
          // A defect here is a bug in settling, not in the job: log it and keep the slot alive (the lease expires).
          yield* attempt
            .run(exit.value.value)
            .pipe(
              Effect.catchAllCause((cause) =>
                Cause.isInterruptedOnly(cause)
                  ? Effect.failCause(cause)
                  : Effect.logError("Worker: job run crashed", cause)
              )
            )
        }
      }).pipe(Effect.annotateLogs({ slot: index }))

    const slots = yield* Effect.forEach(
      Array.from({ length: options.concurrency }, (_, i) => i),
      (i) => Effect.forkScoped(slot(i))
    )
    yield* Effect.logInfo(`Worker ${options.name} started with concurrency ${options.concurrency}`)

    // Runs before the slots are interrupted (finalizers run in reverse order): stop taking, let running jobs finish
    // within the grace period (after which they put their job back in line), then let the scope interrupt the rest.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Deferred.succeed(stopping, undefined)
        yield* Fiber.awaitAll(slots).pipe(Effect.timeout(Duration.sum(options.shutdownGrace, Duration.seconds(15))))
        yield* Effect.logInfo(`Worker ${options.name} stopped`)
      }).pipe(Effect.ignore)
    )
  })

/**
 * The worker as a scoped layer: its loops run while the layer's scope is open and stop cleanly when it closes. It
 * talks to the `JobQueue` (jobs and their lifecycle), the `Generator`, and the `Repo` only to read a user's usage
 * against the daily token budget.
 */
export const layer = (options: WorkerOptions): Layer.Layer<never, never, JobQueue | Repo | Generator> =>
  Layer.scopedDiscard(make(options))
