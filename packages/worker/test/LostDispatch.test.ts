import { expect, it } from "@effect/vitest"
import { wipePrefix } from "@scribe/adapters/testkit/TestRedis"
import { Effect } from "effect"
import {
  describeDispatches,
  exited,
  inspector,
  runWorker,
  scenarioEnv,
  spawnFixture,
  storesFrom,
  submitBatch,
  waitUntil
} from "./Harness"

/** A scenario's environment, with a safety poll too slow to matter. */
const environment = (redis: boolean) =>
  scenarioEnv("lost", redis, {
    SCRIBE_QUEUE_POLL_SECONDS: "60",
    SCRIBE_QUEUE_RECONCILE_SECONDS: "1",
    SCRIBE_LEASE_SECONDS: "5"
  })

/** A real process commits five jobs and is SIGKILLed before it could dispatch them. */
const commitThenDie = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const child = yield* spawnFixture("commit-then-die.ts", "submitter", {
      DATABASE_URL: env.DATABASE_URL!,
      SUBMIT_COUNT: "5",
      SUBMIT_USER: `dying-${crypto.randomUUID()}`
    })
    const exit = yield* exited(child)
    expect(exit.signal).toBe("SIGKILL")
    const ids = JSON.parse(child.output().split("\n")[0] ?? "[]") as ReadonlyArray<string>
    expect(ids).toHaveLength(5)
    return ids
  })

const scenario = (redis: boolean) =>
  Effect.gen(function* () {
    const { url, env } = yield* environment(redis)
    yield* storesFrom(env)
    const look = yield* inspector(url)
    yield* runWorker(env, { stepMillis: 20 })
    const ids = yield* commitThenDie(env)
    // Postgres: the NOTIFY committed with the rows. Redis: no message was ever sent; the reconciler offers them.
    yield* waitUntil(
      "the orphaned jobs to complete",
      Effect.map(look.statuses, (s) => s.completed === 5),
      20_000
    )
    expect(yield* look.statuses).toEqual({ completed: 5 })
    expect(yield* look.emails).toEqual({ total: 5, jobs: 5, orphans: 0 })
    const done = yield* look.sql<{ readonly id: string }>`SELECT id FROM queue_items WHERE status = 'completed'`
    expect(new Set(done.map((r) => r.id))).toEqual(new Set(ids))
  }).pipe(Effect.scoped)

await describeDispatches("lost dispatch", (redis) => {
  it.live(
    redis
      ? "Redis: a submitter killed between commit and dispatch ⇒ the reconciler offers its jobs"
      : "Postgres: a submitter killed between commit and dispatch ⇒ its jobs still complete",
    () => scenario(redis),
    { timeout: 60_000 }
  )
  if (!redis) return

  it.live(
    "Redis (fifo order, a message per job): the queue's keys flushed mid-batch ⇒ the batch still completes, one email per job",
    () =>
      Effect.gen(function* () {
        // Under the fair order claims read the table and Redis holds no messages; the message sets are fifo's.
        const { url, prefix, env: base } = yield* environment(true)
        const env = { ...base, SCRIBE_QUEUE_ORDER: "fifo" }
        const api = yield* storesFrom(env)
        const look = yield* inspector(url)
        yield* runWorker({ ...env, SCRIBE_WORKER_CONCURRENCY: "2" }, { stepMillis: 25 })
        yield* submitBatch(api.repo, 20, "flush")
        yield* waitUntil(
          "a few jobs done",
          Effect.map(look.statuses, (s) => (s.completed ?? 0) >= 4),
          20_000,
          20
        )
        // This suite's part of the shared Redis: every queue key (messages, in-flight set, line order) is gone.
        expect(yield* wipePrefix(prefix)).toBeGreaterThan(0)
        yield* waitUntil(
          "the whole batch to complete",
          Effect.map(look.statuses, (s) => s.completed === 20),
          30_000
        )
        expect(yield* look.statuses).toEqual({ completed: 20 })
        expect(yield* look.emails).toEqual({ total: 20, jobs: 20, orphans: 0 })
      }).pipe(Effect.scoped),
    { timeout: 60_000 }
  )
})
