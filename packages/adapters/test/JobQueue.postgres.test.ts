import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Repo } from "@scribe/core/store/Repo"
import { Effect, Option } from "effect"
import * as PgJobQueue from "../src/queue/PgJobQueue"
import * as SqlRepo from "../src/sql/SqlRepo"
import { layerTempPostgres } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"
import { jobQueueContract, liveSleep, settings, settled, submit } from "./JobQueueContract"

const fresh = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, users`
  const repo = yield* SqlRepo.make
  const queue = yield* PgJobQueue.makeListening(settings).pipe(Effect.provideService(Repo, repo))
  return { repo, queue }
})

await describePostgres("JobQueue (Postgres, LISTEN/NOTIFY)", () => {
  jobQueueContract("JobQueue (Postgres, LISTEN/NOTIFY)", {
    layer: layerTempPostgres({ maxConnections: 16 }),
    fresh,
    extra: (it) => {
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

  // Real time: the liveness check and the reconnection run on the live clock.
  layer(layerTempPostgres(), { excludeTestServices: true, timeout: "60 seconds" })(
    "JobQueue (Postgres) listener",
    (it) => {
      it.effect("a killed LISTEN connection is noticed and replaced, and wake-ups resume", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, users`
          const repo = yield* SqlRepo.make
          // A long safety poll, a quick liveness check: a wake-up within seconds can only come from NOTIFY.
          const queue = yield* PgJobQueue.makeListening({
            leaseDuration: "30 seconds",
            pollInterval: "5 minutes",
            listenerCheck: "300 millis"
          }).pipe(Effect.provideService(Repo, repo))
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
