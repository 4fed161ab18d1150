import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { SqlClient } from "@effect/sql"
import { afterAll, describe } from "@effect/vitest"
import { freshUser, insertJobsFor, recipients } from "@scribe/adapters/testkit/Jobs"
import { layerPgClient, tempDatabaseUrl } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { describeRedis, redisUrl, scopedPrefix, uniquePrefix } from "@scribe/adapters/testkit/TestRedis"
import type { Job } from "@scribe/core/jobs/Job"
import type { JobQueue } from "@scribe/core/jobs/JobQueue"
import { Repo } from "@scribe/core/store/Repo"
import * as ScriptedGenerator from "@scribe/core/testing/GeneratorScripted"
import * as Stores from "@scribe/wiring/Stores"
import { makeStandaloneLayer } from "@scribe/wiring/WorkerLive"
import { ConfigProvider, Context, Effect, Layer, type Scope } from "effect"
import { build } from "esbuild"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))

/** Real time, whatever clock the test runs on. */
export const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Polls `check` (real time) until it holds; fails with `what` after `timeoutMs`. */
export const waitUntil = <E, R>(
  what: string,
  check: Effect.Effect<boolean, E, R>,
  timeoutMs: number,
  intervalMs = 100
): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline)
        return yield* Effect.fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      yield* liveSleep(intervalMs)
    }
  })

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** The tail of its output, for failure messages. */
  readonly output: () => string
}

const fixturePath = (fixture: string) => fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))

const bundles = new Map<string, Promise<string>>()
const bundleDirs: Array<string> = []
afterAll(() => {
  for (const dir of bundleDirs) rmSync(dir, { recursive: true, force: true })
})

/**
 * The fixture compiled into one file by esbuild (the compiler tsx runs per module). Under tsx a worker process spends
 * about 2 s of CPU loading Effect module by module; bundled it starts in about 0.4 s, and the crash tests start over
 * twenty processes. `SCRIBE_TEST_FIXTURES=tsx` runs the TypeScript through tsx instead.
 */
const bundle = (fixture: string): Promise<string> => {
  const cached = bundles.get(fixture)
  if (cached !== undefined) return cached
  const dir = mkdtempSync(join(tmpdir(), "scribe-fixture-"))
  bundleDirs.push(dir)
  const outfile = join(dir, fixture.replace(/\.ts$/, ".mjs"))
  const built = build({
    entryPoints: [fixturePath(fixture)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["pg-native"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "silent"
  }).then(() => outfile)
  bundles.set(fixture, built)
  return built
}

/**
 * Starts node with `args` and exactly `env` (plus PATH and HOME), keeping the tail of its output: its output never
 * reaches the test run's own, it is logged with the test's (shown when the test fails) once the process is gone.
 */
const startNode = (
  name: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  stdin: "pipe" | "ignore"
) => {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: [stdin, "pipe", "pipe"]
  })
  let tail = ""
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-8000)
  }
  child.stdout?.on("data", keep)
  child.stderr?.on("data", keep)
  return { name, process: child, output: () => tail }
}

/**
 * Starts test/fixtures/<fixture> as a real child process with exactly `env` (plus PATH and HOME); SIGKILLed when the
 * scope closes if still running.
 */
export const spawnFixture = (
  fixture: string,
  name: string,
  env: Record<string, string>
): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const args =
        process.env.SCRIBE_TEST_FIXTURES === "tsx" ? ["--import", "tsx", fixturePath(fixture)] : [await bundle(fixture)]
      return startNode(name, args, env, "pipe")
    }),
    release
  )

/** Runs one of this package's sources (`src/main.ts`) with tsx, as `pnpm start` does, with exactly `env`. */
export const spawnSource = (
  source: string,
  name: string,
  env: Record<string, string>
): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() =>
      startNode(name, ["--import", "tsx", fileURLToPath(new URL(`../${source}`, import.meta.url))], env, "ignore")
    ),
    release
  )

/** `node <args>` with exactly `env` (plus PATH and HOME); SIGKILLed when the scope closes if still running. */
export const spawnNode = (
  name: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>
): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => startNode(name, args, env, "ignore")),
    release
  )

/** Resolves once the process has written `line` on a line of its own. */
export const printed = (child: Child, line: string): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        if (child.output().split("\n").includes(line)) return resolve()
        const onData = () => {
          if (child.output().split("\n").includes(line)) {
            child.process.stdout?.off("data", onData)
            resolve()
          }
        }
        child.process.stdout?.on("data", onData)
      })
  )

/** Kills the process outright (no chance to clean up) and waits for it to be gone. */
export const sigkill = (child: Child): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve()
        child.process.once("exit", () => resolve())
        child.process.kill("SIGKILL")
      })
  )

/**
 * Kills the process if it still runs, then logs the tail of its output with the test's logs: the run prints a test's
 * logs only when it fails.
 */
const release = (child: Child): Effect.Effect<void> =>
  Effect.zipRight(
    sigkill(child),
    Effect.sync(() => {
      const output = child.output()
      if (output !== "") console.log(`--- ${child.name} (pid ${child.process.pid}), the end of its output:\n${output}`)
    })
  )

/** Waits for the process to exit by itself; its stdout. */
export const exited = (child: Child): Effect.Effect<{ readonly signal: string | null; readonly code: number | null }> =>
  Effect.promise(
    () =>
      new Promise((resolve) => {
        if (child.process.exitCode !== null || child.process.signalCode !== null) {
          return resolve({ signal: child.process.signalCode, code: child.process.exitCode })
        }
        child.process.once("exit", (code, signal) => resolve({ signal, code }))
      })
  )

/** Configuration from an environment map, as a process reads it from its environment. */
const configFrom = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** The service's stores (the production wiring in `Stores`) from an environment map, as the API process builds them. */
export const storesFrom = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      Stores.layerConfig({ requireDatabaseUrl: true }).pipe(Layer.provide(configFrom(env)))
    )
    return {
      repo: Context.get(context, Repo),
      sql: Context.get(context, SqlClient.SqlClient),
      context: context as Context.Context<Stores.Stores>
    }
  })

/** The production worker composition in this process (as `makeStandaloneLayer` runs it), with a scripted generator. */
export const runWorker = (env: Record<string, string>, script: ScriptedGenerator.Script = {}) =>
  Layer.build(makeStandaloneLayer(ScriptedGenerator.layer(script)).pipe(Layer.provide(configFrom(env))))

/**
 * A scenario's environment: a database of its own and, when `redis`, dispatch through the machine's Redis under a
 * prefix of its own (wiped when the scope closes); `extra` on top.
 */
export const scenarioEnv = (label: string, redis: boolean, extra: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const url = yield* tempDatabaseUrl
    const prefix = redis ? yield* scopedPrefix(label) : uniquePrefix(label)
    const env: Record<string, string> = {
      DATABASE_URL: url,
      ...(redis ? { REDIS_URL: redisUrl, SCRIBE_REDIS_PREFIX: prefix } : {}),
      ...extra
    }
    return { url, prefix, env }
  })

/**
 * Declares `name` once per dispatch: by Postgres (LISTEN/NOTIFY), then through Redis (`name (Redis)`), each needing
 * its service as `describePostgres`/`describeRedis` say. `body` declares the tests for the dispatch it is given.
 */
export const describeDispatches = (name: string, body: (redis: boolean) => void) =>
  describePostgres(name, () => {
    describe(name, () => body(false))
    return describeRedis(`${name} (Redis)`, () => {
      describe(`${name} (Redis)`, () => body(true))
    })
  })

/** A direct connection to the database at `url`, to look at the rows. */
export const inspector = (url: string) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(layerPgClient(url))
    const sql = Context.get(context, SqlClient.SqlClient)
    const statuses = Effect.map(
      sql<{
        readonly status: string
        readonly n: number
      }>`SELECT status, count(*)::int AS n FROM queue_items GROUP BY status`,
      (rows) => Object.fromEntries(rows.map((r) => [r.status, r.n])) as Partial<Record<Job["status"], number>>
    )
    const emails = Effect.map(
      sql<{ readonly total: number; readonly jobs: number; readonly orphans: number }>`
        SELECT count(*)::int AS total, count(DISTINCT job_id)::int AS jobs,
               count(*) FILTER (WHERE job_id IS NULL)::int AS orphans
        FROM emails`,
      (rows) => rows[0]!
    )
    return { sql, statuses, emails }
  })

/** Submits a batch of `count` jobs of a new user through the given Repo (the offering one: dispatched after commit). */
export const submitBatch = (repo: Context.Tag.Service<Repo>, count: number, label = "batch") =>
  Effect.gen(function* () {
    const owner = freshUser(label)
    const jobs = yield* insertJobsFor(repo, owner, new Date(), recipients(count))
    return { owner, jobs }
  })

export type QueueService = Context.Tag.Service<JobQueue>
