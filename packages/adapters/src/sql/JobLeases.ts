import type { SqlClient } from "@effect/sql"
import type { JobId } from "@scribe/core/Ids"
import type { Job } from "@scribe/core/jobs/Job"
import {
  type Completion,
  type Failure,
  type JobProgress,
  JobQueueError,
  type Lease,
  type Offer,
  type Retry
} from "@scribe/core/jobs/JobQueue"
import { defaults as workerDefaults } from "@scribe/core/jobs/WorkerOptions"
import { Config, type ConfigError, Context, Effect, Layer, Option } from "effect"
import * as LeaseClaims from "./LeaseClaims"
import { type ClaimLimits, type ClaimRequest, noLimits, type QueueOrder } from "./LeaseClaims"
import * as LeaseRecovery from "./LeaseRecovery"
import * as LeaseSettling from "./LeaseSettling"

export { type ClaimLimits, type ClaimRequest, noLimits, type QueueOrder } from "./LeaseClaims"
export { workerName } from "./LeaseRecovery"

/**
 * The SQL side of the job queue, shared by its adapters (`PgJobQueue`, `RedisJobQueue`): a job's life from its claim to
 * its end, every write guarded by the lease (a write by a worker that no longer holds the job changes nothing and
 * answers `false`), and what dispatch asks of the table (what is claimable, when the next job falls due). Times always
 * come from the caller.
 */
export class JobLeases extends Context.Tag("@scribe/adapters/sql/JobLeases")<
  JobLeases,
  {
    /**
     * Takes the first job in line that is pending and due, or processing with an expired lease: to `processing` at the
     * first step, under a lease to `workerId`, the attempt counted.
     */
    readonly claimNext: (request: ClaimRequest) => Effect.Effect<Option.Option<Job>, JobQueueError>
    /** `claimNext` for one given job: `None` when it is not claimable (cancelled, finished, held, not due). */
    readonly claimById: (
      request: ClaimRequest & { readonly id: JobId }
    ) => Effect.Effect<Option.Option<Job>, JobQueueError>
    /** Extends a held lease. */
    readonly renew: (lease: Lease, leaseUntil: Date) => Effect.Effect<boolean, JobQueueError>
    /** The job's step, that step's status words, and the timings so far. */
    readonly progress: (lease: Lease, progress: JobProgress) => Effect.Effect<boolean, JobQueueError>
    /**
     * The job's one email and its completion, in one transaction with its count in the user's usage of the day;
     * `false` (nothing written) also when the job already has an email. The job row stays locked meanwhile.
     */
    readonly complete: (lease: Lease, completion: Completion) => Effect.Effect<boolean, JobQueueError>
    /** The job's failure, in one transaction with its count in the user's usage of the day. */
    readonly fail: (lease: Lease, failure: Failure) => Effect.Effect<boolean, JobQueueError>
    /** Back in line at its original place, due again at `availableAt`. */
    readonly release: (lease: Lease, retry: Retry) => Effect.Effect<boolean, JobQueueError>
    /** When the next job falls due after `now` (a delayed retry, an expiring lease); `None` when none will. */
    readonly nextDue: (now: Date) => Effect.Effect<Option.Option<Date>, JobQueueError>
    /** Up to `limit` jobs claimable at `now`, in line order. */
    readonly claimable: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<Offer>, JobQueueError>
    /** The named workers (see `workerName`) are alive now, by the database's clock. */
    readonly beat: (names: ReadonlyArray<string>) => Effect.Effect<void, JobQueueError>
    /**
     * Hands back the jobs of every worker that has not beaten for `silentMs` (by the database's clock): their leases
     * end now, so the next claim takes them at their place in line; the worker is forgotten until it beats again. A
     * worker that never beat is left to its leases. The jobs handed back.
     */
    readonly reap: (silentMs: number) => Effect.Effect<ReadonlyArray<JobId>, JobQueueError>
    /**
     * A worker of `name` starts taking in this process: it beats, and the jobs still leased under `name` are handed
     * back at once — they belong to an earlier process of that name (a restart with a fixed `SCRIBE_WORKER_NAME`),
     * since names are unique among running workers. The jobs handed back.
     */
    readonly arrive: (name: string) => Effect.Effect<ReadonlyArray<JobId>, JobQueueError>
  }
>() {}

/** A method at the SQL edge: its failures become the queue's error, its span is `JobLeases.<operation>`. */
const leaseMethod =
  (operation: string) =>
  <A>(self: Effect.Effect<A, unknown>): Effect.Effect<A, JobQueueError> =>
    self.pipe(
      Effect.mapError((cause) => new JobQueueError({ operation, cause })),
      Effect.withSpan(`JobLeases.${operation}`)
    )

/** `SCRIBE_QUEUE_ORDER` (`fair` unless set to `fifo`). */
export const orderConfig: Config.Config<QueueOrder> = Config.literal(
  "fair",
  "fifo"
)("SCRIBE_QUEUE_ORDER").pipe(Config.withDefault("fair" as const))

/**
 * `SCRIBE_MAX_RUNNING_PER_USER` (a positive integer); unset, half of `SCRIBE_WORKER_CONCURRENCY` (at least 1), so no
 * user holds more than half a worker's slots while another user waits.
 */
export const limitsConfig: Config.Config<ClaimLimits> = Config.all({
  cap: Config.option(Config.integer("SCRIBE_MAX_RUNNING_PER_USER")),
  concurrency: Config.integer("SCRIBE_WORKER_CONCURRENCY").pipe(Config.withDefault(workerDefaults.concurrency))
}).pipe(
  Config.validate({
    message: "SCRIBE_MAX_RUNNING_PER_USER must be a positive integer",
    validation: ({ cap }) => Option.match(cap, { onNone: () => true, onSome: (n) => n >= 1 })
  }),
  Config.map(({ cap, concurrency }) => ({
    maxRunningPerUser: Option.getOrElse(cap, () => Math.max(1, Math.floor(concurrency / 2)))
  }))
)

/**
 * `JobLeases` taking jobs in `order`, within `limits`: the claims (`LeaseClaims`), the settling of a held job
 * (`LeaseSettling`) and crash recovery (`LeaseRecovery`), each method's failures named after it.
 */
export const makeWith = (
  order: QueueOrder,
  limits: ClaimLimits = noLimits
): Effect.Effect<typeof JobLeases.Service, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const claims = yield* LeaseClaims.make(order, limits)
    const settling = yield* LeaseSettling.make
    const recovery = yield* LeaseRecovery.make
    return JobLeases.of({
      beat: (names) => leaseMethod("beat")(recovery.beat(names)),
      reap: (silentMs) => leaseMethod("reap")(recovery.reap(silentMs)),
      arrive: (name) => leaseMethod("arrive")(recovery.arrive(name)),
      claimNext: (request) => leaseMethod("claimNext")(claims.claimNext(request)),
      claimById: (request) => leaseMethod("claimById")(claims.claimById(request)),
      renew: (lease, leaseUntil) => leaseMethod("renew")(settling.renew(lease, leaseUntil)),
      progress: (lease, progress) => leaseMethod("progress")(settling.progress(lease, progress)),
      complete: (lease, completion) => leaseMethod("complete")(settling.complete(lease, completion)),
      fail: (lease, failure) => leaseMethod("fail")(settling.fail(lease, failure)),
      release: (lease, retry) => leaseMethod("release")(settling.release(lease, retry)),
      nextDue: (now) => leaseMethod("nextDue")(claims.nextDue(now)),
      claimable: (now, limit) => leaseMethod("claimable")(claims.claimable(now, limit))
    })
  })

/** `JobLeases` in the default (fair) order. */
export const make = makeWith("fair")

/** `JobLeases` in `order` (within `limits`) on the `SqlClient` in context. */
export const layerWith = (
  order: QueueOrder,
  limits: ClaimLimits = noLimits
): Layer.Layer<JobLeases, never, SqlClient.SqlClient> => Layer.effect(JobLeases, makeWith(order, limits))

/** `JobLeases` (fair order) on the `SqlClient` in context. */
export const layer: Layer.Layer<JobLeases, never, SqlClient.SqlClient> = layerWith("fair")

/** `JobLeases` in the order `SCRIBE_QUEUE_ORDER` names, within `SCRIBE_MAX_RUNNING_PER_USER` (`limitsConfig`). */
export const layerConfig: Layer.Layer<JobLeases, ConfigError.ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
  Effect.map(Config.all([orderConfig, limitsConfig]), ([order, limits]) => layerWith(order, limits))
)
