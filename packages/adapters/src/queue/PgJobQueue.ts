import { PgClient } from "@effect/sql-pg"
import { type Claim, JobQueue, JobQueueError } from "@scribe/core/jobs/JobQueue"
import {
  Clock,
  type ConfigError,
  type Context,
  Deferred,
  Duration,
  Effect,
  Layer,
  Option,
  Ref,
  type Scope,
  Stream
} from "effect"
import { JobLeases } from "../sql/JobLeases"
import * as Heartbeat from "./Heartbeat"
import * as QueueConfig from "./QueueConfig"
import * as Taking from "./Taking"
import * as Wakeup from "./Wakeup"

export interface Options extends QueueConfig.Options {
  /** How often the LISTEN connection proves itself alive (default: `pollInterval`). */
  readonly listenerCheck?: Duration.DurationInput
  /** Workers' heartbeats, for processes sharing the database (`makeListening`). */
  readonly heartbeat?: Heartbeat.Options
}

/** The channel the `queue_items` trigger notifies when a row becomes pending (migration 0002). */
export const channel = "scribe_jobs"

/**
 * After handing out a job, how long the next taker waits before claiming again when this process knows of no other
 * pending job — unless a wake-up or an offer comes first. Claiming at once found nothing after a lone job (the usual
 * case) and cost that job a claim and a `nextDue` on its critical path: on embedded PGlite both run in this process
 * (measured by the benchmarks). A job this process was not told about waits at most this much longer.
 */
export const handoverWait = Duration.millis(250)

/** How long a notification of this process's own commit is waited for before it is no longer expected. */
const ownNotificationWindowMs = 1000

/**
 * Dispatch over the jobs table with in-process wake-ups: a worker claims with `FOR UPDATE SKIP LOCKED`
 * (`JobLeases.claimNext`), and the claimed job is settled through `JobLeases`; when nothing is due it sleeps until the next delayed retry or lease expiry, or until an offer or
 * release in this process wakes it. Enough on its own for one process (embedded PGlite); `makeListening` adds the
 * wake-ups of other processes (`notified`), each of which may stand for any number of jobs.
 */
export const make = (
  options: Options,
  /** Other processes' wake-ups arrive through `notified` (LISTEN), and so do this process's own, once more. */
  listening = false
): Effect.Effect<
  Context.Tag.Service<JobQueue> & {
    readonly wake: Effect.Effect<void>
    /** A notification on the channel: a job of this process's or another's became pending. */
    readonly notified: Effect.Effect<void>
    /** Notifications may have been missed (a fresh listener): any number of jobs may be pending. */
    readonly missed: Effect.Effect<void>
  },
  never,
  JobLeases
> =>
  Effect.gen(function* () {
    const leases = yield* JobLeases
    const wakeup = yield* Wakeup.make
    const leaseDuration = Duration.decode(options.leaseDuration)
    const leaseMs = Duration.toMillis(leaseDuration)
    const poll = Duration.decode(options.pollInterval)
    const handoverMs = Duration.toMillis(handoverWait)

    // Jobs known to be pending and not yet claimed: counted from this process's offers and releases, minus its claims;
    // unknown (infinite) after another process's notification, which Postgres folds per transaction; zero once a claim
    // finds nothing.
    // Only a hint: too high costs a claim that finds nothing, too low at most `handoverWait`.
    const known = yield* Ref.make(0)
    /** Until when the taker after a successful claim holds back while no other job is known. */
    let handoverUntil = 0
    const announce = (count: number) =>
      Effect.zipRight(
        Ref.update(known, (n) => n + count),
        wakeup.wake
      )
    // When listening, this process's own offers and releases come back as notifications (one per transaction): until
    // when each is expected. A notification that matches one adds nothing, the offer counted its jobs already; one
    // taken for another's only delays that other's jobs, by `handoverWait` at most.
    const ownNotifications = yield* Ref.make<ReadonlyArray<number>>([])
    const expectOwn = listening
      ? Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(ownNotifications, (due) => [...due, now + ownNotificationWindowMs])
        )
      : Effect.void
    const notified = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const expected = yield* Ref.modify(ownNotifications, (due) => {
        const live = due.filter((until) => until > now)
        return [live.length > 0, live.slice(1)]
      })
      yield* expected ? wakeup.wake : announce(Number.POSITIVE_INFINITY)
    })

    // One taker per process at a time: it claims, and waits when nothing is due; the others wait for it to hand over
    // by returning a claim, then the next one claims (at once when more jobs may be due, see `handoverWait`). Without
    // it, every wake-up sent all idle slots of a worker (8 by default) to the store together, and on PGlite, one
    // session, the seven empty claims queued ahead of the job's own statements (measured by the benchmarks).
    const taking = yield* Effect.makeSemaphore(1)

    // Only the wait is interruptible: a claim, once made, is returned (or, if the taker was interrupted meanwhile,
    // left to its lease, which expires).
    const take = (workerId: string): Effect.Effect<Claim, JobQueueError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          while (true) {
            const armed = yield* wakeup.arm
            const at = yield* Clock.currentTimeMillis
            if (at >= handoverUntil || (yield* Ref.get(known)) > 0) break
            yield* restore(Effect.raceFirst(armed, Effect.sleep(Duration.millis(handoverUntil - at))))
          }
          handoverUntil = 0
          return yield* Taking.untilClaimed(wakeup, poll, restore, (now) =>
            Effect.gen(function* () {
              const claim = yield* Taking.claimNext(leases, workerId, now, leaseMs)
              if (Option.isSome(claim)) {
                yield* Ref.update(known, (n) => n - 1)
                handoverUntil = (yield* Clock.currentTimeMillis) + handoverMs
                return Taking.claimed(claim.value)
              }
              yield* Ref.set(known, 0)
              return Taking.waitUntil(yield* Taking.nextDue(leases, now))
            })
          )
        })
      ).pipe(taking.withPermits(1), Effect.withSpan("JobQueue.take"))

    return {
      leaseDuration,
      wake: wakeup.wake,
      notified,
      missed: announce(Number.POSITIVE_INFINITY),
      // Other processes learn of the rows from the trigger's NOTIFY; this process wakes its own waiters.
      offer: (jobs) => Effect.zipRight(expectOwn, announce(jobs.length)),
      take,
      renew: (claim) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => leases.renew(claim.lease, new Date(now + leaseMs))).pipe(
          Effect.withSpan("JobQueue.renew")
        ),
      progress: (claim, progress) => leases.progress(claim.lease, progress).pipe(Effect.withSpan("JobQueue.progress")),
      complete: (claim, completion) =>
        leases.complete(claim.lease, completion).pipe(Effect.withSpan("JobQueue.complete")),
      fail: (claim, failure) => leases.fail(claim.lease, failure).pipe(Effect.withSpan("JobQueue.fail")),
      release: (claim, retry) =>
        leases.release(claim.lease, retry).pipe(
          Effect.tap((released) => (released ? Effect.zipRight(expectOwn, announce(1)) : Effect.void)),
          Effect.withSpan("JobQueue.release")
        )
    }
  })

/**
 * Listens on `scribe_jobs` and wakes this process's waiters on every notification. A listening connection can die
 * silently (a database restart): a ping through the channel every poll interval proves it alive, and a listener that
 * misses its ping is replaced.
 */
const listen = (
  pg: PgClient.PgClient,
  wake: { readonly notified: Effect.Effect<void>; readonly missed: Effect.Effect<void> },
  check: Duration.Duration
) =>
  Effect.gen(function* () {
    const pending = yield* Deferred.make<void>()
    let expected = ""
    let answered = pending
    const receive = pg.listen(channel).pipe(
      Stream.runForEach((payload) => {
        if (payload === "pending") return wake.notified
        if (payload === expected) return Deferred.succeed(answered, undefined)
        return Effect.void
      })
    )
    const probe = Effect.gen(function* () {
      // A fresh listener may have missed notifications while the old one was down.
      yield* wake.missed
      while (true) {
        yield* Effect.withClock(Effect.sleep(check), Heartbeat.wallClock)
        expected = `ping:${crypto.randomUUID()}`
        answered = yield* Deferred.make<void>()
        // (PgClient.notify sends `NOTIFY channel, $1`, which Postgres rejects: pg_notify takes parameters.)
        yield* pg`SELECT pg_notify(${channel}, ${expected})`
        yield* Deferred.await(answered).pipe(
          Effect.timeoutFail({
            duration: Duration.min(check, Duration.seconds(5)),
            onTimeout: () => new Error("the listener missed its ping")
          }),
          Effect.withClock(Heartbeat.wallClock)
        )
      }
    })
    return yield* Effect.raceFirst(receive, probe)
  }).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("JobQueue: restarting the LISTEN connection", cause)),
    Effect.zipRight(Effect.withClock(Effect.sleep("1 second"), Heartbeat.wallClock)),
    Effect.forever
  )

/**
 * `make`, plus wake-ups from every process through Postgres LISTEN/NOTIFY, and heartbeats: the jobs of a worker silent
 * for seconds are handed back and every process's takers woken (`Heartbeat`).
 */
export const makeListening = (
  options: Options
): Effect.Effect<Context.Tag.Service<JobQueue>, never, JobLeases | PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* make(options, true)
    const pg = yield* PgClient.PgClient
    yield* Effect.forkScoped(listen(pg, queue, Duration.decode(options.listenerCheck ?? options.pollInterval)))
    const heartbeat = yield* Heartbeat.make(
      () =>
        // This process's takers at once, the others' through the channel.
        Effect.zipRight(
          queue.missed,
          pg`SELECT pg_notify(${channel}, 'pending')`.pipe(
            Effect.mapError((cause) => new JobQueueError({ operation: "reap", cause })),
            Effect.asVoid
          )
        ),
      options.heartbeat
    )
    return { ...queue, take: (workerId) => Effect.zipRight(heartbeat.register(workerId), queue.take(workerId)) }
  })

/** Postgres: claims with SKIP LOCKED, wake-ups through LISTEN/NOTIFY. */
export const layer = (options: Options): Layer.Layer<JobQueue, never, JobLeases | PgClient.PgClient> =>
  Layer.scoped(JobQueue, makeListening(options))

export const layerConfig: Layer.Layer<JobQueue, ConfigError.ConfigError, JobLeases | PgClient.PgClient> =
  Layer.unwrapEffect(Effect.map(QueueConfig.config, layer))

/** One process (embedded PGlite): the same claims, in-process wake-ups. */
export const layerLocal = (options: Options): Layer.Layer<JobQueue, never, JobLeases> =>
  Layer.effect(JobQueue, make(options))

export const layerLocalConfig = Layer.unwrapEffect(Effect.map(QueueConfig.config, layerLocal))
