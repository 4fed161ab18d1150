import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as RedisConfig from "@scribe/adapters/ops/RedisConfig"
import * as QueueConfig from "@scribe/adapters/queue/QueueConfig"
import * as RedisJobQueue from "@scribe/adapters/queue/RedisJobQueue"
import { tempDatabaseUrl } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import * as Stores from "@scribe/wiring/Stores"
import { type Config, ConfigProvider, Effect, Either, Layer, Option } from "effect"
import { buildWorker, deployedCommand } from "../../../scripts/build"
import { exited, spawnNode, spawnSource, waitUntil } from "./Harness"

const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env)))))

const failureOf = <A, E>(result: Either.Either<A, E>) => (Either.isLeft(result) ? String(result.left) : "no failure")

describe("configuration", () => {
  it.effect("invalid queue settings fail at start, naming the variable", () =>
    Effect.gen(function* () {
      expect(failureOf(yield* read(QueueConfig.config, { SCRIBE_LEASE_SECONDS: "soon" }))).toContain(
        "SCRIBE_LEASE_SECONDS"
      )
      expect(failureOf(yield* read(QueueConfig.config, { SCRIBE_QUEUE_POLL_SECONDS: "0" }))).toContain(
        "SCRIBE_QUEUE_POLL_SECONDS"
      )
      expect(failureOf(yield* read(RedisConfig.redisUrl, { REDIS_URL: "http://cache:6379" }))).toContain("REDIS_URL")
      expect(failureOf(yield* read(RedisJobQueue.config, {}))).toContain("REDIS_URL")
      expect(
        failureOf(yield* read(RedisJobQueue.config, { REDIS_URL: "redis://h", SCRIBE_QUEUE_RECONCILE_SECONDS: "-2" }))
      ).toContain("SCRIBE_QUEUE_RECONCILE_SECONDS")
      const redis = Either.getOrThrow(
        yield* read(RedisConfig.redisUrl, { REDIS_URL: "rediss://u:p%40ss@cache.example:6380/2" })
      )
      expect(Option.getOrThrow(redis)).toEqual({
        host: "cache.example",
        port: 6380,
        db: 2,
        username: "u",
        password: "p@ss",
        tls: {}
      })
    })
  )

  it.effect("a standalone worker needs DATABASE_URL", () =>
    Effect.gen(function* () {
      const built = yield* Effect.either(
        Layer.build(
          Stores.layerConfig({ requireDatabaseUrl: true }).pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))
          )
        )
      ).pipe(Effect.scoped)
      expect(failureOf(built)).toContain("DATABASE_URL")
    })
  )
})

await describePostgres("the standalone worker process", () => {
  describe("the standalone worker process (pnpm --filter @scribe/worker start)", () => {
    it.live(
      "starts against DATABASE_URL, and on SIGTERM stops taking and exits",
      () =>
        Effect.gen(function* () {
          const url = yield* tempDatabaseUrl
          const worker = yield* spawnSource("src/main.ts", "standalone", {
            DATABASE_URL: url,
            SCRIBE_WORKER_NAME: "standalone-test",
            SCRIBE_WORKER_CONCURRENCY: "2"
          })
          yield* waitUntil(
            "the worker to start",
            Effect.sync(() => worker.output().includes("Worker standalone-test started with concurrency 2")),
            30_000
          )
          worker.process.kill("SIGTERM")
          const exit = yield* exited(worker)
          expect(worker.output()).toContain("Worker standalone-test stopped")
          expect(exit.signal === null || exit.signal === "SIGTERM").toBe(true)
        }).pipe(Effect.scoped),
      { timeout: 60_000 }
    )

    it.live(
      "as deployed (pnpm build:worker, then start:worker:prod's command): starts on its database and stops on SIGTERM",
      () =>
        Effect.gen(function* () {
          const dir = yield* Effect.acquireRelease(
            Effect.sync(() => mkdtempSync(join(tmpdir(), "scribe-worker-build-"))),
            (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
          )
          const entry = yield* Effect.promise(() => buildWorker(dir))
          const url = yield* tempDatabaseUrl
          const worker = yield* spawnNode("deployed", [...deployedCommand().nodeFlags, entry], {
            DATABASE_URL: url,
            NODE_ENV: "production",
            SCRIBE_WORKER_NAME: "deployed-test"
          })
          yield* waitUntil(
            "the deployed worker to start",
            Effect.sync(() => worker.output().includes("Worker deployed-test started")),
            30_000
          )
          // Production logs are JSON lines.
          expect(worker.output()).toMatch(/^\{.*"message":.*Worker deployed-test started/m)
          worker.process.kill("SIGTERM")
          const exit = yield* exited(worker)
          expect(worker.output()).toContain("Worker deployed-test stopped")
          expect(exit.signal === null || exit.signal === "SIGTERM").toBe(true)
        }).pipe(Effect.scoped),
      { timeout: 90_000 }
    )

    it.live(
      "refuses to start without DATABASE_URL, naming it",
      () =>
        Effect.gen(function* () {
          const worker = yield* spawnSource("src/main.ts", "no-db", {})
          const exit = yield* exited(worker)
          expect(exit.code).not.toBe(0)
          expect(worker.output()).toContain("DATABASE_URL")
        }).pipe(Effect.scoped),
      { timeout: 60_000 }
    )
  })
})
