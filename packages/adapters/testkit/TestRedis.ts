import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { Duration, Effect, Either, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { optionsFromUrl } from "../src/ops/RedisConfig"
import { describeNeeding, findProgram, programs, service } from "./ServiceSuite"
import { freePort } from "./TempPostgres"

/** The machine's Redis; suites keep to their own key prefix on it. */
export const redisUrl = process.env.SCRIBE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

export const redisOptions: RedisOptions = Either.getOrThrowWith(
  optionsFromUrl(redisUrl),
  (reason) => new Error(`SCRIBE_TEST_REDIS_URL ${reason}`)
)

const withClient = <A>(options: RedisOptions, f: (redis: Redis) => Promise<A>): Promise<A> => {
  const redis = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on("error", () => {})
  return redis
    .connect()
    .then(() => f(redis))
    .finally(() => redis.disconnect())
}

export const redisReachable: Promise<boolean> = withClient(redisOptions, (r) => r.ping())
  .then((pong) => pong === "PONG")
  .catch(() => false)

/**
 * Declares a suite that needs the machine's Redis: with `CI=true` an unreachable Redis fails the run, elsewhere the
 * suite is skipped, saying so in one line.
 */
export const describeRedis = describeNeeding(service("Redis (SCRIBE_TEST_REDIS_URL)", redisUrl, redisReachable))

/** The redis-server program `ownRedis` runs: `SCRIBE_TEST_REDIS_SERVER` (a path or a name), else found on PATH. */
export const redisServer = findProgram("redis-server", { override: process.env.SCRIBE_TEST_REDIS_SERVER })

/** What `ownRedis` needs: the redis-server program. */
export const ownRedisNeed = programs({ "redis-server": redisServer }, "put it on PATH or set SCRIBE_TEST_REDIS_SERVER")

/** Declares a suite that runs a redis-server of its own (`ownRedis`); without the program, as `describeRedis` says. */
export const describeOwnRedis = describeNeeding(ownRedisNeed)

/** A key prefix no other suite (or test) uses. */
export const uniquePrefix = (label: string) => `scribe-test:${label}:${randomUUID().slice(0, 8)}:`

/** Deletes every key under `prefix`: a flush of this suite's part of the shared Redis. */
export const wipePrefix = (prefix: string, options: RedisOptions = redisOptions): Effect.Effect<number> =>
  Effect.promise(() =>
    withClient(options, async (redis) => {
      let cursor = "0"
      let deleted = 0
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500)
        cursor = next
        if (keys.length > 0) deleted += await redis.del(...keys)
      } while (cursor !== "0")
      return deleted
    })
  )

/** A prefix for the test's scope, wiped when it closes. */
export const scopedPrefix = (label: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => uniquePrefix(label)),
    (prefix) => Effect.ignore(wipePrefix(prefix))
  )

export interface OwnRedis {
  readonly url: string
  readonly options: RedisOptions
  readonly stop: Effect.Effect<void>
  readonly start: Effect.Effect<void>
}

/**
 * A throwaway redis-server of this test's own (a free port, no persistence), so a test can stop and restart it — losing
 * everything in it — without touching the machine's shared one. Stopped when the scope closes.
 */
export const ownRedis: Effect.Effect<OwnRedis, unknown, Scope.Scope> = Effect.gen(function* () {
  const port = yield* freePort
  let child: ChildProcess | undefined
  const options: RedisOptions = { host: "127.0.0.1", port }
  const stop = Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        const running = child
        child = undefined
        if (running === undefined || running.exitCode !== null) return resolve()
        running.once("exit", () => resolve())
        running.kill("SIGKILL")
      })
  )
  const start = Effect.gen(function* () {
    if (redisServer === undefined) {
      return yield* Effect.die(new Error("redis-server not found: put it on PATH or set SCRIBE_TEST_REDIS_SERVER"))
    }
    // Its output only explains a failed start; it never reaches the test run's own output.
    let output = ""
    const running = spawn(
      redisServer,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4000)
    }
    running.stdout?.on("data", keep)
    running.stderr?.on("data", keep)
    running.on("error", (error) => keep(Buffer.from(`${error.message}\n`)))
    child = running
    for (let i = 0; i < 100; i++) {
      const up = yield* Effect.promise(() => withClient(options, (r) => r.ping()).catch(() => "down"))
      if (up === "PONG") return
      if (running.exitCode !== null) break
      yield* Effect.sleep(Duration.millis(50))
    }
    return yield* Effect.die(new Error(`redis-server did not start on port ${port}:\n${output}`))
  })
  yield* Effect.acquireRelease(start, () => stop)
  return { url: `redis://127.0.0.1:${port}`, options, start, stop }
})
