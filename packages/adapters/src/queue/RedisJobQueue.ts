import type { JobId } from "@scribe/core/Ids"
import { type Claim, JobQueue, JobQueueError, type Offer } from "@scribe/core/jobs/JobQueue"
import {
  Clock,
  Config,
  ConfigError,
  type Context,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  Runtime,
  type Scope
} from "effect"
import { Redis, type RedisOptions } from "ioredis"
import * as RedisConfig from "../ops/RedisConfig"
import { JobLeases, orderConfig, type QueueOrder } from "../sql/JobLeases"
import * as Heartbeat from "./Heartbeat"
import * as QueueConfig from "./QueueConfig"
import { type Keys, withScripts } from "./RedisQueueScripts"
import * as Taking from "./Taking"
import * as Wakeup from "./Wakeup"

export interface Options extends QueueConfig.Options {
  readonly redis: RedisOptions
  /** Every key starts with it (`<prefix>ready`, …). */
  readonly prefix: string
  /** How often each process re-offers claimable jobs that have no message (lost offers, a flushed Redis). */
  readonly reconcileInterval: Duration.DurationInput
  /**
   * `fifo` (the default here): a message per job, taken in `seq` order. `fair`: the database's fair claim chooses the
   * job (`JobLeases.claimNext`), so the order and the listed positions are the SQL store's; Redis carries the
   * wake-ups between processes. Pass the order `JobLeases` was built with.
   */
  readonly order?: QueueOrder
  /** Workers' heartbeats: the jobs of a worker silent for seconds are handed back (`Heartbeat`). */
  readonly heartbeat?: Heartbeat.Options
}

const missingRedis = ConfigError.MissingData(["REDIS_URL"], "REDIS_URL is required for Redis dispatch")

/**
 * `REDIS_URL` (required here), `SCRIBE_REDIS_PREFIX` (`scribe:`; queue keys go under `<prefix>queue:`),
 * `SCRIBE_QUEUE_RECONCILE_SECONDS` (5), plus the lease and poll settings of `QueueConfig.config`.
 */
export const config: Config.Config<Options> = Config.all({
  base: QueueConfig.config,
  redis: RedisConfig.redisUrl.pipe(
    Config.mapOrFail((url) =>
      Option.match(url, {
        onNone: () => Either.left(missingRedis),
        onSome: Either.right
      })
    )
  ),
  prefix: RedisConfig.redisPrefix,
  reconcileInterval: QueueConfig.seconds("SCRIBE_QUEUE_RECONCILE_SECONDS", 5),
  order: orderConfig
}).pipe(
  Config.map(({ base, redis, prefix, reconcileInterval, order }) => ({
    ...base,
    redis,
    prefix: `${prefix}queue:`,
    reconcileInterval,
    order
  }))
)

/** A Redis command as an Effect, bounded in time (a command waits while the server is away). */
const command = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new JobQueueError({ operation, cause }) }).pipe(
    Effect.timeoutFail({
      duration: "5 seconds",
      onTimeout: () => new JobQueueError({ operation, cause: new Error("Redis did not answer within 5 s") })
    }),
    Effect.withClock(Heartbeat.wallClock)
  )

const connect = (options: RedisOptions, runtime: Runtime.Runtime<never>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const redis = new Redis({ ...options, lazyConnect: false })
      // Connection errors are retried by ioredis; commands fail on their own and are handled where they are issued.
      redis.on("error", (error: unknown) =>
        Runtime.runFork(runtime)(Effect.logDebug("JobQueue: Redis connection error", error))
      )
      return redis
    }),
    (redis) =>
      Effect.promise(() => redis.quit().catch(() => redis.disconnect())).pipe(
        Effect.timeoutOption("2 seconds"),
        Effect.ignore
      )
  )

/**
 * Redis dispatch over the jobs table. A message carries a job id only; the claim is still a guarded UPDATE of that
 * job's row, so a stale, duplicate or lost message can delay a job but never run it twice or lose it. Offers go to
 * Redis after commit; each process's reconciler re-offers, every `reconcileInterval`, the claimable jobs that have
 * no message (an offer lost to a crash, a flushed or restarted Redis).
 */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<JobQueue>, never, JobLeases | Scope.Scope> =>
  Effect.gen(function* () {
    const leases = yield* JobLeases
    const runtime = yield* Effect.runtime<never>()
    const wakeup = yield* Wakeup.make
    const leaseDuration = Duration.decode(options.leaseDuration)
    const leaseMs = Duration.toMillis(leaseDuration)
    const poll = Duration.decode(options.pollInterval)
    const keys: Keys = [
      `${options.prefix}ready`,
      `${options.prefix}delayed`,
      `${options.prefix}inflight`,
      `${options.prefix}seqs`
    ]
    const wakeChannel = `${options.prefix}wake`

    const redis = withScripts(yield* connect(options.redis, runtime))

    // Wake-ups from every process: a subscriber connection (ioredis resubscribes after a reconnect).
    const subscriber = yield* connect(options.redis, runtime)
    subscriber.on("message", () => Runtime.runFork(runtime)(wakeup.wake))
    yield* Effect.tryPromise(() => subscriber.subscribe(wakeChannel)).pipe(
      Effect.timeout("5 seconds"),
      Effect.catchAllCause((cause) => Effect.logWarning("JobQueue: could not subscribe to Redis wake-ups yet", cause))
    )

    const publish = command("publish", () => redis.publish(wakeChannel, "1"))

    const fair = options.order === "fair"

    const offerAll = (jobs: ReadonlyArray<Offer>) =>
      Effect.gen(function* () {
        if (jobs.length === 0) return 0
        if (fair) {
          // The jobs are in the table already; the other processes' takers only need waking.
          yield* publish
          yield* wakeup.wake
          return jobs.length
        }
        const now = yield* Clock.currentTimeMillis
        const args = jobs.flatMap((j) => [j.id, String(j.seq), String(j.availableAt.getTime())])
        const added = yield* command("offer", () => redis.scribeOffer(...keys, String(now), ...args))
        if (added > 0) yield* publish
        yield* wakeup.wake
        return added
      })

    const forget = (id: JobId) =>
      command("forget", () => redis.scribeForget(...keys, id)).pipe(
        Effect.catchAll((error) => Effect.logWarning("JobQueue: could not drop a message (harmless)", error))
      )

    /** After a write that ended the claimed job: forget its message when the write counted. */
    const settled = (claim: Claim) => (ended: boolean) => (ended && !fair ? forget(claim.job.id) : Effect.void)

    // Fair order: the database's claim, waiting (for a wake-up, the next due instant, or the poll) when none is due.
    const takeFair = (workerId: string): Effect.Effect<Claim, JobQueueError> =>
      Effect.uninterruptibleMask((restore) =>
        Taking.untilClaimed(wakeup, poll, restore, (now) =>
          Effect.gen(function* () {
            const claim = yield* Taking.claimNext(leases, workerId, now, leaseMs)
            return Option.isSome(claim)
              ? Taking.claimed(claim.value)
              : Taking.waitUntil(yield* Taking.nextDue(leases, now))
          })
        )
      ).pipe(Effect.withSpan("JobQueue.take"))

    const takeMessage = (workerId: string): Effect.Effect<Claim, JobQueueError> =>
      Effect.uninterruptibleMask((restore) =>
        Taking.untilClaimed(wakeup, poll, restore, (now) =>
          Effect.gen(function* () {
            const leaseUntil = new Date(now + leaseMs)
            const [id, next] = yield* command("take", () =>
              redis.scribeTake(...keys, String(now), String(leaseUntil.getTime()))
            )
            if (id === "") return Taking.waitUntil(next < 0 ? null : next)
            const jobId = id as JobId
            const claimed = yield* leases
              .claimById({ id: jobId, workerId, now: new Date(now), leaseUntil })
              .pipe(
                Effect.tapError(() => command("requeue", () => redis.scribeRequeue(...keys, jobId)).pipe(Effect.ignore))
              )
            if (Option.isSome(claimed))
              return Taking.claimed({ job: claimed.value, lease: { jobId, workerId }, leaseUntil })
            // Cancelled, finished, held by a live lease, or not due: the message is stale.
            yield* forget(jobId)
            return Taking.again
          })
        )
      ).pipe(Effect.withSpan("JobQueue.take"))

    const take = fair ? takeFair : takeMessage

    // Fifo: re-offers the claimable jobs that have no message. Fair: claims read the table, so there is no message to
    // lose, but a job committed by a process that died before waking anyone is only noticed here: wake the takers.
    const reconcile = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (fair) {
        if ((yield* leases.claimable(new Date(now), 1)).length > 0) yield* wakeup.wake
        return
      }
      const claimable = yield* leases.claimable(new Date(now), 1000)
      const added = yield* offerAll(claimable)
      if (added > 0) yield* Effect.logInfo(`JobQueue: re-offered ${added} job(s) that had no message`)
    }).pipe(Effect.withSpan("JobQueue.reconcile"))

    yield* reconcile.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("JobQueue: reconciliation failed; retrying", cause)),
      Effect.zipRight(Effect.sleep(options.reconcileInterval)),
      Effect.forever,
      Effect.forkScoped
    )

    // A silent worker's jobs: their messages back in line at once (fifo), every process's takers woken.
    const heartbeat = yield* Heartbeat.make(
      (ids) =>
        Effect.gen(function* () {
          if (!fair) {
            for (const id of ids) yield* command("requeue", () => redis.scribeRequeue(...keys, id))
          }
          yield* publish
          yield* wakeup.wake
        }),
      options.heartbeat
    )

    return {
      leaseDuration,
      offer: (jobs) =>
        offerAll(jobs).pipe(
          Effect.catchAll((error) =>
            Effect.logWarning("JobQueue: offer failed; the reconciler will re-offer the jobs", error)
          ),
          Effect.asVoid,
          Effect.withSpan("JobQueue.offer")
        ),
      take: (workerId) => Effect.zipRight(heartbeat.register(workerId), take(workerId)),
      renew: (claim) =>
        Effect.gen(function* () {
          const until = (yield* Clock.currentTimeMillis) + leaseMs
          const renewed = yield* leases.renew(claim.lease, new Date(until))
          if (renewed && !fair) {
            yield* command("renew", () => redis.zadd(keys[2], "XX", until, claim.lease.jobId)).pipe(
              Effect.catchAll((error) => Effect.logWarning("JobQueue: could not extend the message's deadline", error))
            )
          }
          return renewed
        }).pipe(Effect.withSpan("JobQueue.renew")),
      progress: (claim, progress) => leases.progress(claim.lease, progress).pipe(Effect.withSpan("JobQueue.progress")),
      // The job has ended: its message goes. (Not when the claim no longer held it: the message is its new holder's.)
      complete: (claim, completion) =>
        leases.complete(claim.lease, completion).pipe(Effect.tap(settled(claim)), Effect.withSpan("JobQueue.complete")),
      fail: (claim, failure) =>
        leases.fail(claim.lease, failure).pipe(Effect.tap(settled(claim)), Effect.withSpan("JobQueue.fail")),
      release: (claim, retry) =>
        Effect.gen(function* () {
          const released = yield* leases.release(claim.lease, retry)
          if (!released) return false
          const now = yield* Clock.currentTimeMillis
          const { id, seq } = claim.job
          const dispatched = fair
            ? Effect.void
            : command("release", () =>
                redis.scribeRelease(...keys, String(now), id, String(seq), String(retry.availableAt.getTime()))
              )
          yield* dispatched.pipe(
            Effect.zipRight(publish),
            Effect.catchAll((error) =>
              Effect.logWarning("JobQueue: release not dispatched; the reconciler will", error)
            )
          )
          yield* wakeup.wake
          return true
        }).pipe(Effect.withSpan("JobQueue.release"))
    }
  })

export const layer = (options: Options): Layer.Layer<JobQueue, never, JobLeases> =>
  Layer.scoped(JobQueue, make(options))

export const layerConfig: Layer.Layer<JobQueue, ConfigError.ConfigError, JobLeases> = Layer.unwrapEffect(
  Effect.map(config, layer)
)
