import { describe, expect, it } from "@effect/vitest"
import { describeNeeding } from "@scribe/adapters/testkit/ServiceSuite"
import { ownPostgres, ownPostgresNeed } from "@scribe/adapters/testkit/TempPostgres"
import { ownRedis, ownRedisNeed } from "@scribe/adapters/testkit/TestRedis"
import { Effect } from "effect"
import { inspector, liveSleep, runWorker, storesFrom, submitBatch, waitUntil } from "./Harness"

const JOBS = 30

/**
 * The services restarted under a running batch. Postgres and Redis here are throwaway servers of this test's own (a
 * temp data directory and free ports), never the machine's shared ones. Nobody intervenes: the worker and the
 * submitting side ride out the outages by themselves.
 */
const restarts = (withRedis: boolean) =>
  Effect.gen(function* () {
    const pg = yield* ownPostgres
    const redis = withRedis ? yield* ownRedis : undefined
    const env: Record<string, string> = {
      DATABASE_URL: pg.url,
      ...(redis === undefined ? {} : { REDIS_URL: redis.url }),
      SCRIBE_LEASE_SECONDS: "3",
      SCRIBE_QUEUE_POLL_SECONDS: "2",
      SCRIBE_QUEUE_RECONCILE_SECONDS: "1",
      SCRIBE_WORKER_CONCURRENCY: "2"
    }
    const api = yield* storesFrom(env)
    const look = yield* inspector(pg.url)
    // While a server is down the look fails: that only means "not yet".
    const completed = Effect.map(look.statuses, (s) => s.completed ?? 0).pipe(Effect.orElseSucceed(() => -1))
    yield* runWorker(env, { stepMillis: 40 })
    yield* submitBatch(api.repo, JOBS, "restart")

    if (redis !== undefined) {
      yield* waitUntil(
        "a few jobs done before Redis goes",
        Effect.map(completed, (n) => n >= 5),
        30_000,
        20
      )
      yield* redis.stop
      yield* liveSleep(1500)
      // Back empty (no persistence): every message is gone.
      yield* redis.start
    }
    const before = yield* completed
    yield* waitUntil(
      "progress before Postgres goes",
      Effect.map(completed, (n) => n >= before + 5),
      30_000,
      20
    )
    yield* pg.stop
    yield* liveSleep(1500)
    yield* pg.start

    yield* waitUntil(
      `all ${JOBS} jobs completed`,
      Effect.map(completed, (n) => n === JOBS),
      60_000,
      200
    )
    expect(yield* look.statuses).toEqual({ completed: JOBS })
    expect(yield* look.emails).toEqual({ total: JOBS, jobs: JOBS, orphans: 0 })
  }).pipe(Effect.scoped)

await describeNeeding(ownPostgresNeed())("services restarted mid-batch", () => {
  describe("services restarted mid-batch", () => {
    it.live("Postgres dispatch: Postgres restarted ⇒ the batch completes (LISTEN comes back)", () => restarts(false), {
      timeout: 120_000
    })
  })
  return describeNeeding(ownRedisNeed)("services restarted mid-batch", () => {
    describe("services restarted mid-batch", () => {
      it.live(
        "Redis dispatch: Redis restarted (emptied), then Postgres restarted ⇒ the batch completes",
        () => restarts(true),
        {
          timeout: 120_000
        }
      )
    })
  })
})
