import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { type Claim, JobQueue, JobQueueError } from "@scribe/core/JobQueue"
import { Repo } from "@scribe/core/Repo"
import {
  Clock,
  Config,
  type ConfigError,
  type Context,
  Deferred,
  Duration,
  Effect,
  Layer,
  Option,
  type Scope,
  Stream
} from "effect"
import * as SqlRepo from "./SqlRepo"
import * as Wakeup from "./Wakeup"

export interface Options {
  /** How long a claim holds its job unless renewed. */
  readonly leaseDuration: Duration.DurationInput
  /** The longest an idle worker waits without a wake-up: the safety net for a lost one, not the dispatch path. */
  readonly pollInterval: Duration.DurationInput
  /** How often the LISTEN connection proves itself alive (default: `pollInterval`). */
  readonly listenerCheck?: Duration.DurationInput
}

/** The channel the `queue_items` trigger notifies when a row becomes pending (migration 0002). */
export const channel = "scribe_jobs"

const seconds = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be a positive number of seconds`,
      validation: (n) => Number.isFinite(n) && n > 0
    }),
    Config.map(Duration.seconds)
  )

/** `SCRIBE_LEASE_SECONDS` (60) and `SCRIBE_QUEUE_POLL_SECONDS` (10). */
export const config: Config.Config<Options> = Config.all({
  leaseDuration: seconds("SCRIBE_LEASE_SECONDS", 60),
  pollInterval: seconds("SCRIBE_QUEUE_POLL_SECONDS", 10)
})

const queueError = (operation: string) => Effect.mapError((cause: unknown) => new JobQueueError({ operation, cause }))

/**
 * Dispatch over the jobs table with in-process wake-ups: a worker claims with `FOR UPDATE SKIP LOCKED`
 * (`Repo.claimNext`); when nothing is due it sleeps until the next delayed retry or lease expiry, or until an offer or
 * release in this process wakes it. Enough on its own for one process (embedded PGlite); `makeListening` adds the
 * wake-ups of other processes.
 */
export const make = (
  options: Options
): Effect.Effect<
  Context.Tag.Service<JobQueue> & { readonly wake: Effect.Effect<void> },
  never,
  Repo | SqlClient.SqlClient
> =>
  Effect.gen(function* () {
    const repo = yield* Repo
    const dispatch = yield* SqlRepo.makeDispatch
    const wakeup = yield* Wakeup.make
    const leaseDuration = Duration.decode(options.leaseDuration)
    const leaseMs = Duration.toMillis(leaseDuration)
    const poll = Duration.decode(options.pollInterval)

    // One taker per process at a time: it claims, and waits when nothing is due; the others wait for it to hand over
    // by returning a claim, then the next one claims at once (more jobs may be due). Without it, every wake-up sent
    // all idle slots of a worker (8 by default) to the store together, and on PGlite, one session, the seven empty
    // claims queued ahead of the job's own statements (issue 6's benchmark).
    const taking = yield* Effect.makeSemaphore(1)

    // Only the wait is interruptible: a claim, once made, is returned (or, if the taker was interrupted meanwhile,
    // left to its lease, which expires).
    const take = (workerId: string): Effect.Effect<Claim, JobQueueError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          while (true) {
            const armed = yield* wakeup.arm
            const now = yield* Clock.currentTimeMillis
            const leaseUntil = new Date(now + leaseMs)
            const claimed = yield* repo.claimNext({ workerId, now: new Date(now), leaseUntil })
            if (Option.isSome(claimed)) {
              return { job: claimed.value, lease: { jobId: claimed.value.id, workerId }, leaseUntil }
            }
            const next = yield* dispatch.nextDue(new Date(now))
            const at = yield* Clock.currentTimeMillis
            yield* restore(Wakeup.waitFor(armed, at, Option.getOrNull(Option.map(next, (d) => d.getTime())), poll))
          }
        })
      ).pipe(taking.withPermits(1), queueError("take"), Effect.withSpan("JobQueue.take"))

    return {
      leaseDuration,
      wake: wakeup.wake,
      // Other processes learn of the rows from the trigger's NOTIFY; this process wakes its own waiters.
      offer: () => wakeup.wake,
      take,
      renew: (lease) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => repo.renewLease(lease, new Date(now + leaseMs))).pipe(
          queueError("renew"),
          Effect.withSpan("JobQueue.renew")
        ),
      release: (lease, retry) =>
        repo.releaseJob(lease, retry).pipe(
          Effect.tap((released) => (released ? wakeup.wake : Effect.void)),
          queueError("release"),
          Effect.withSpan("JobQueue.release")
        ),
      ack: () => Effect.void
    }
  })

/**
 * Listens on `scribe_jobs` and wakes this process's waiters on every notification. A listening connection can die
 * silently (a database restart): a ping through the channel every poll interval proves it alive, and a listener that
 * misses its ping is replaced.
 */
const listen = (pg: PgClient.PgClient, wake: Effect.Effect<void>, check: Duration.Duration) =>
  Effect.gen(function* () {
    const pending = yield* Deferred.make<void>()
    let expected = ""
    let answered = pending
    const receive = pg.listen(channel).pipe(
      Stream.runForEach((payload) => {
        if (payload === "pending") return wake
        if (payload === expected) return Deferred.succeed(answered, undefined)
        return Effect.void
      })
    )
    const probe = Effect.gen(function* () {
      // A fresh listener may have missed notifications while the old one was down.
      yield* wake
      while (true) {
        yield* Effect.sleep(check)
        expected = `ping:${crypto.randomUUID()}`
        answered = yield* Deferred.make<void>()
        // (PgClient.notify sends `NOTIFY channel, $1`, which Postgres rejects: pg_notify takes parameters.)
        yield* pg`SELECT pg_notify(${channel}, ${expected})`
        yield* Deferred.await(answered).pipe(
          Effect.timeoutFail({
            duration: Duration.min(check, Duration.seconds(5)),
            onTimeout: () => new Error("the listener missed its ping")
          })
        )
      }
    })
    return yield* Effect.raceFirst(receive, probe)
  }).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("JobQueue: restarting the LISTEN connection", cause)),
    Effect.zipRight(Effect.sleep("1 second")),
    Effect.forever
  )

/** `make`, plus wake-ups from every process through Postgres LISTEN/NOTIFY. */
export const makeListening = (
  options: Options
): Effect.Effect<Context.Tag.Service<JobQueue>, never, Repo | SqlClient.SqlClient | PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* make(options)
    const pg = yield* PgClient.PgClient
    yield* Effect.forkScoped(listen(pg, queue.wake, Duration.decode(options.listenerCheck ?? options.pollInterval)))
    return queue
  })

/** Postgres: claims with SKIP LOCKED, wake-ups through LISTEN/NOTIFY. */
export const layer = (options: Options): Layer.Layer<JobQueue, never, Repo | SqlClient.SqlClient | PgClient.PgClient> =>
  Layer.scoped(JobQueue, makeListening(options))

export const layerConfig: Layer.Layer<
  JobQueue,
  ConfigError.ConfigError,
  Repo | SqlClient.SqlClient | PgClient.PgClient
> = Layer.unwrapEffect(Effect.map(config, layer))

/** One process (embedded PGlite): the same claims, in-process wake-ups. */
export const layerLocal = (options: Options): Layer.Layer<JobQueue, never, Repo | SqlClient.SqlClient> =>
  Layer.effect(JobQueue, make(options))

export const layerLocalConfig = Layer.unwrapEffect(Effect.map(config, layerLocal))
