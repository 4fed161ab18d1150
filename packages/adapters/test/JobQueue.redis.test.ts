import { SqlClient } from "@effect/sql"
import { expect, type Vitest } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { Redis } from "ioredis"
import * as RedisJobQueue from "../src/queue/RedisJobQueue"
import * as JobLeases from "../src/sql/JobLeases"
import * as SqlRepo from "../src/sql/SqlRepo"
import { layerTempPostgres } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"
import { describeRedis, redisOptions, scopedPrefix, wipePrefix } from "../testkit/TestRedis"
import { heartbeatTests } from "./HeartbeatTests"
import { jobQueueContract, liveSleep, settings, settled, submit } from "./JobQueueContract"
import { newEmail } from "./RepoContract"

const empty = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users, queue_workers`
)

/** One prefix per test, shared by the queues a test builds (they stand for processes on one Redis). */
let sharedPrefix: string | undefined

const harnessIn = (order: JobLeases.QueueOrder, shared = false) =>
  Effect.gen(function* () {
    if (!shared) yield* empty
    const prefix = shared && sharedPrefix !== undefined ? sharedPrefix : yield* scopedPrefix("queue")
    if (shared) sharedPrefix = prefix
    const repo = yield* SqlRepo.makeWith(order)
    const heartbeat = { interval: "200 millis", silence: "600 millis" } as const
    const queue = yield* RedisJobQueue.make({ ...settings, redis: redisOptions, prefix, order, heartbeat }).pipe(
      Effect.provideServiceEffect(JobLeases.JobLeases, JobLeases.makeWith(order))
    )
    return { repo, queue, prefix }
  })
const harness = harnessIn("fifo")

/** The heartbeat tests in `order`, each on a fresh database and a prefix its queues share. */
const heartbeats = (it: Vitest.MethodsNonLive<SqlClient.SqlClient>, order: JobLeases.QueueOrder) =>
  heartbeatTests(
    it,
    Effect.zipRight(
      empty,
      Effect.sync(() => {
        sharedPrefix = undefined
      })
    ),
    harnessIn(order, true),
    JobLeases.makeWith(order)
  )

/** The members of the queue's three sets, by set. */
const messages = (prefix: string) =>
  Effect.acquireUseRelease(
    Effect.sync(() => new Redis(redisOptions)),
    (redis) =>
      Effect.promise(async () => ({
        ready: await redis.zrange(`${prefix}ready`, 0, -1),
        delayed: await redis.zrange(`${prefix}delayed`, 0, -1),
        inflight: await redis.zrange(`${prefix}inflight`, 0, -1)
      })),
    (redis) => Effect.sync(() => redis.disconnect())
  )

await describePostgres("JobQueue (Redis dispatch)", () =>
  describeRedis("JobQueue (Redis dispatch)", () => {
    // Fair order: the database's claim picks the job, Redis carries the wake-ups.
    jobQueueContract("JobQueue (Redis dispatch, fair order)", {
      layer: layerTempPostgres({ maxConnections: 16 }),
      order: "fair",
      fresh: harnessIn("fair"),
      extra: (it) => heartbeats(it, "fair")
    })

    jobQueueContract("JobQueue (Redis dispatch, fifo order)", {
      layer: layerTempPostgres({ maxConnections: 16 }),
      order: "fifo",
      fresh: harness,
      extra: (it) => {
        heartbeats(it, "fifo")

        it.scoped("a flushed Redis loses no job: the reconciler re-offers what is claimable", () =>
          Effect.gen(function* () {
            yield* TestClock.setTime(Date.parse("2026-03-01T09:00:00.000Z"))
            const h = yield* harness
            const { jobs } = yield* submit(h, ["One", "Two"])
            expect((yield* messages(h.prefix)).ready).toHaveLength(2)
            yield* wipePrefix(h.prefix)
            const first = yield* Effect.fork(h.queue.take("w1"))
            expect(yield* settled(first, 200)).toEqual(Option.none())
            yield* TestClock.adjust(settings.reconcileInterval)
            const claim = yield* settled(first, 5000)
            expect(Option.map(claim, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
            const second = yield* Effect.fork(h.queue.take("w2"))
            expect(Option.map(yield* settled(second, 5000), (c) => c.job.id)).toEqual(Option.some(jobs[1]!.id))
          })
        )

        it.scoped("a message for a cancelled job is dropped when it comes up, and the next job is handed out", () =>
          Effect.gen(function* () {
            yield* TestClock.setTime(Date.parse("2026-03-01T09:00:00.000Z"))
            const h = yield* harness
            const { owner, jobs } = yield* submit(h, ["Cancelled", "Kept"])
            expect(yield* h.repo.cancelPending(owner.id, jobs[0]!.id)).toEqual({ _tag: "Cancelled" })
            const claim = yield* Effect.flatMap(Effect.fork(h.queue.take("w1")), (f) => settled(f, 5000))
            expect(Option.map(claim, (c) => c.job.id)).toEqual(Option.some(jobs[1]!.id))
            expect(yield* messages(h.prefix)).toEqual({ ready: [], delayed: [], inflight: [jobs[1]!.id] })
          })
        )

        it.scoped("a job that ends takes its message with it; a stale holder's write leaves the new holder's", () =>
          Effect.gen(function* () {
            yield* TestClock.setTime(Date.parse("2026-03-01T09:00:00.000Z"))
            const h = yield* harness
            const { owner, jobs } = yield* submit(h, ["Completed", "Failed", "Taken over"])
            const [completed, failed, takenOver] = jobs
            if (!completed || !failed || !takenOver) throw new Error("insert failed")
            const take = (worker: string) =>
              Effect.map(
                Effect.flatMap(Effect.fork(h.queue.take(worker)), (f) => settled(f, 5000)),
                Option.getOrThrow
              )
            const now = new Date(yield* TestClock.currentTimeMillis)
            const first = yield* take("w1")
            const email = newEmail(owner, completed.id, now)
            expect(yield* h.queue.complete(first, { email, generationTime: 1, stepTimings: {}, now })).toBe(true)
            expect(yield* messages(h.prefix)).toEqual({ ready: [failed.id, takenOver.id], delayed: [], inflight: [] })
            const second = yield* take("w2")
            const failure = { message: "no", type: "UpstreamAuth", failedStep: null, stepTimings: {}, now }
            expect(yield* h.queue.fail(second, failure)).toBe(true)
            expect(yield* messages(h.prefix)).toEqual({ ready: [takenOver.id], delayed: [], inflight: [] })

            const stale = yield* take("w3")
            yield* TestClock.adjust("31 seconds")
            const holder = yield* take("w4")
            expect([holder.job.id, holder.job.attempts]).toEqual([takenOver.id, 2])
            expect(yield* h.queue.fail(stale, failure)).toBe(false)
            expect(yield* messages(h.prefix)).toEqual({ ready: [], delayed: [], inflight: [takenOver.id] })
          })
        )

        it.scoped("messages carry job ids only, and a release waits in the delayed set until due", () =>
          Effect.gen(function* () {
            yield* TestClock.setTime(Date.parse("2026-03-01T09:00:00.000Z"))
            const h = yield* harness
            const { jobs } = yield* submit(h, ["Retry me"])
            expect((yield* messages(h.prefix)).ready).toEqual([jobs[0]!.id])
            const claim = Option.getOrThrow(
              yield* Effect.flatMap(Effect.fork(h.queue.take("w1")), (f) => settled(f, 5000))
            )
            const now = yield* TestClock.currentTimeMillis
            yield* h.queue.release(claim, { availableAt: new Date(now + 10_000), lastError: null })
            expect(yield* messages(h.prefix)).toEqual({ ready: [], delayed: [jobs[0]!.id], inflight: [] })
            yield* liveSleep(10)
          })
        )
      }
    })
  })
)
