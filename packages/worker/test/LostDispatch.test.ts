import { describe, expect, it } from "@effect/vitest"
import { tempDatabaseUrl } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { describeRedis, redisUrl, uniquePrefix, wipePrefix } from "@scribe/adapters/testkit/TestRedis"
import * as ScriptedGenerator from "@scribe/core/testing/GeneratorScripted"
import { ConfigProvider, Effect, Layer } from "effect"
import { makeStandaloneLayer } from "../src/WorkerLive"
import { exited, inspector, spawnFixture, storesFrom, submitBatch, waitUntil } from "./Harness"

/** Environment for a scenario: its own database, Redis under its own prefix when asked; a safety poll too slow to matter. */
const environment = (redis: boolean) =>
  Effect.gen(function* () {
    const url = yield* tempDatabaseUrl
    const prefix = uniquePrefix("lost")
    if (redis) yield* Effect.addFinalizer(() => Effect.ignore(wipePrefix(prefix)))
    const env: Record<string, string> = {
      DATABASE_URL: url,
      ...(redis ? { REDIS_URL: redisUrl, SCRIBE_REDIS_PREFIX: prefix } : {}),
      SCRIBE_QUEUE_POLL_SECONDS: "60",
      SCRIBE_QUEUE_RECONCILE_SECONDS: "1",
      SCRIBE_LEASE_SECONDS: "5"
    }
    return { url, prefix, env }
  })

/** The production worker composition, in this process, with a scripted generator. */
const runWorker = (env: Record<string, string>, stepMillis: number) =>
  Layer.build(
    makeStandaloneLayer(ScriptedGenerator.layer({ stepMillis })).pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    )
  )

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
    yield* runWorker(env, 20)
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

await describePostgres("lost dispatch", () => {
  describe("lost dispatch", () => {
    it.live(
      "Postgres: a submitter killed between commit and dispatch ⇒ its jobs still complete",
      () => scenario(false),
      {
        timeout: 60_000
      }
    )
  })
  return describeRedis("lost dispatch (Redis)", () => {
    describe("lost dispatch (Redis)", () => {
      it.live(
        "Redis: a submitter killed between commit and dispatch ⇒ the reconciler offers its jobs",
        () => scenario(true),
        {
          timeout: 60_000
        }
      )

      it.live(
        "Redis: the queue's keys flushed mid-batch ⇒ the batch still completes, one email per job",
        () =>
          Effect.gen(function* () {
            const { url, prefix, env } = yield* environment(true)
            const api = yield* storesFrom(env)
            const look = yield* inspector(url)
            yield* runWorker({ ...env, SCRIBE_WORKER_CONCURRENCY: "2" }, 25)
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
  })
})
