import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Clock, Effect, Layer, Option } from "effect"
import * as PgJobQueue from "../src/queue/PgJobQueue"
import * as Database from "../src/sql/Database"
import * as JobLeases from "../src/sql/JobLeases"
import * as SqlRepo from "../src/sql/SqlRepo"
import { cuttableLink } from "../testkit/CuttableLink"
import { recipients } from "../testkit/Jobs"
import { layerTempPostgres, tempDatabaseUrl } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"
import { heartbeatTests } from "./HeartbeatTests"
import { jobQueueContract, liveSleep, settings, settled, submit } from "./JobQueueContract"

/** Heartbeats quick enough for a test to see a silent worker's jobs handed back within a second or two. */
export const quickHeartbeat = { interval: "200 millis", silence: "600 millis" } as const

const empty = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users, queue_workers`
)

/** A queue (a process's) over the tables as they are: several can share them, none emptying what another uses. */
const queueIn = (order: JobLeases.QueueOrder) =>
  Effect.gen(function* () {
    const repo = yield* SqlRepo.make
    const queue = yield* PgJobQueue.makeListening({ ...settings, heartbeat: quickHeartbeat }).pipe(
      Effect.provideServiceEffect(JobLeases.JobLeases, JobLeases.makeWith(order))
    )
    return { repo, queue }
  })
const freshIn = (order: JobLeases.QueueOrder) => Effect.zipRight(empty, queueIn(order))
const fresh = freshIn("fair")

await describePostgres("JobQueue (Postgres, LISTEN/NOTIFY)", () => {
  jobQueueContract("JobQueue (Postgres, LISTEN/NOTIFY, fifo order)", {
    layer: layerTempPostgres({ maxConnections: 24 }),
    order: "fifo",
    fresh: freshIn("fifo")
  })

  jobQueueContract("JobQueue (Postgres, LISTEN/NOTIFY)", {
    // A pool wide enough for the concurrent-claim test to use separate connections.
    layer: layerTempPostgres({ maxConnections: 24 }),
    order: "fair",
    fresh,
    extra: (it) => {
      // Emptied once per test, by the test: a second process's queue must not truncate under the first one's heartbeat.
      heartbeatTests(it, empty, queueIn("fair"), JobLeases.makeWith("fair"))

      it.scoped("20 concurrent claims over 10 jobs take each job exactly once", () =>
        Effect.gen(function* () {
          const h = yield* fresh
          const leases = yield* JobLeases.make
          const { jobs } = yield* submit(h, recipients(10), { offer: false })
          const now = new Date(yield* Clock.currentTimeMillis)
          const leaseUntil = new Date(now.getTime() + 60_000)
          const claims = yield* Effect.all(
            Array.from({ length: 20 }, (_, i) => leases.claimNext({ workerId: `w${i}`, now, leaseUntil })),
            { concurrency: "unbounded" }
          )
          const claimed = claims.flatMap(Option.toArray)
          expect(claimed).toHaveLength(10)
          expect(new Set(claimed.map((j) => j.id))).toEqual(new Set(jobs.map((j) => j.id)))
          expect(claimed.every((j) => j.attempts === 1)).toBe(true)
          expect(yield* leases.claimNext({ workerId: "late", now, leaseUntil })).toEqual(Option.none())
        })
      )

      it.scoped(
        "a job committed by another process wakes a waiting taker through NOTIFY, the clock standing still",
        () =>
          Effect.gen(function* () {
            const h = yield* fresh
            const waiting = yield* Effect.fork(h.queue.take("w1"))
            expect(yield* settled(waiting, 300)).toEqual(Option.none())
            // Inserted through the plain Repo: no offer in this process, only the trigger's NOTIFY.
            const { jobs } = yield* submit(h, ["Elsewhere"], { offer: false })
            const claim = yield* settled(waiting, 5000)
            expect(Option.map(claim, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
          })
      )
    }
  })

  // Real time: a worker cut off from the database is noticed by its silence.
  layer(Layer.empty, { excludeTestServices: true, timeout: "60 seconds" })("JobQueue (Postgres) partition", (it) => {
    it.effect("a worker cut off from the database loses its job to another process within seconds", () =>
      Effect.gen(function* () {
        const url = yield* tempDatabaseUrl
        const link = yield* cuttableLink(url)
        const queueOn = (at: string) =>
          Effect.gen(function* () {
            const context = yield* Layer.build(Database.layerPg(at))
            const queue = yield* PgJobQueue.makeListening({ ...settings, heartbeat: quickHeartbeat }).pipe(
              Effect.provideServiceEffect(JobLeases.JobLeases, JobLeases.make),
              Effect.provide(context)
            )
            return { queue, repo: yield* Effect.provide(SqlRepo.make, context) }
          })
        const survivor = yield* queueOn(url)
        const cutOff = yield* queueOn(link.url)
        const { jobs } = yield* submit(survivor, ["Cut off"])
        const held = yield* Effect.flatMap(Effect.fork(cutOff.queue.take("cutoff/0/1")), (f) => settled(f, 5000))
        expect(Option.map(held, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
        const waiting = yield* Effect.fork(survivor.queue.take("survivor/0/1"))
        // Alive and connected, the holder keeps its job (leases are 30 s).
        expect(yield* settled(waiting, 1500)).toEqual(Option.none())
        yield* link.cut
        const cutAt = Date.now()
        const taken = yield* settled(waiting, 5000)
        expect(Option.map(taken, (c) => [c.job.id, c.job.attempts])).toEqual(Option.some([jobs[0]!.id, 2]))
        expect(Date.now() - cutAt).toBeLessThan(5000)
      }).pipe(Effect.scoped)
    )
  })

  // Real time: the liveness check and the reconnection run on the live clock.
  layer(layerTempPostgres(), { excludeTestServices: true, timeout: "60 seconds" })(
    "JobQueue (Postgres) listener",
    (it) => {
      it.effect("a killed LISTEN connection is noticed and replaced, and wake-ups resume", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users`
          const repo = yield* SqlRepo.make
          // A long safety poll, a quick liveness check: a wake-up within seconds can only come from NOTIFY.
          const queue = yield* PgJobQueue.makeListening({
            leaseDuration: "30 seconds",
            pollInterval: "5 minutes",
            listenerCheck: "300 millis"
          }).pipe(Effect.provideServiceEffect(JobLeases.JobLeases, JobLeases.make))
          yield* liveSleep(300)
          const killed = yield* sql<{ readonly pid: number }>`
          SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%'`
          expect(killed.length).toBeGreaterThan(0)
          const waiting = yield* Effect.fork(queue.take("w1"))
          yield* liveSleep(2500)
          const { jobs } = yield* submit({ repo, queue }, ["After the cut"], { offer: false })
          const claim = yield* settled(waiting, 5000)
          expect(Option.map(claim, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
        }).pipe(Effect.scoped)
      )
    }
  )
})
