/**
 * One batch through the API and a standalone worker process, as the batch benchmarks run it (`Batch.ts`,
 * `Throughput.ts`): the worker's builds, the budgets, the stack a batch runs on, and what a run measures.
 */
import Pg from "pg"
import { deployedCommand } from "../scripts/build"
import { startApi } from "./ApiProcess"
import * as Fixtures from "./Fixtures"
import { type Floor, floorOf, type Rates } from "./Floor"
import { type BenchContext, type Child, sleep, spawnTs, tempDatabase } from "./Harness"
import { httpClient } from "./Load"
import * as RemoteWorld from "./RemoteWorld"

/** Items in a batch: one template, 100 distinct researchers. */
export const items = 100

/** The budgets of the batch benchmarks before scaling: 5 searches a second, Scribe's defaults for the rest. */
export const rates = (llmRpm: number, llmTpm = 200_000): Rates => ({
  llmRpm,
  llmTpm,
  searchRps: 5,
  arxivIntervalMs: 3000,
  openalexRps: 10,
  semanticScholarRps: 1
})

/** Scribe's settings for `rates` at `scale`: the budgets the world does not set. */
export const rateSettings = (r: Rates, scale: number): Record<string, string> => ({
  SCRIBE_SEARCH_RPS: String(Math.round(r.searchRps / scale)),
  SCRIBE_LLM_TPM: String(Math.round(r.llmTpm / scale))
})

/** How the worker process runs: its entry (TypeScript through tsx, or the built bundle) and Node's flags. */
export interface WorkerBuild {
  readonly label: string
  readonly entry: string
  readonly nodeFlags: ReadonlyArray<string>
  /** The form the docs tell users to deploy (the memory target applies to it). */
  readonly deployed: boolean
}

/**
 * The worker as `pnpm start:worker:prod` starts it: that script, `node <flags> <bundle>`, parsed from package.json,
 * so the benchmark runs what the docs tell users to run.
 */
export const deployedWorker = (): WorkerBuild => {
  const command = deployedCommand()
  // `SCRIBE_BENCH_WORKER_FLAGS` adds Node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) for profiling a run.
  const extra = (process.env.SCRIBE_BENCH_WORKER_FLAGS ?? "").split(" ").filter(Boolean)
  return {
    label: "deployed: pnpm start:worker:prod",
    ...command,
    nodeFlags: [...command.nodeFlags, ...extra],
    deployed: true
  }
}

/** The worker as `pnpm start:worker` runs it in development: TypeScript through tsx's loader. */
export const developmentWorker: WorkerBuild = {
  label: "development: pnpm start:worker (tsx)",
  entry: "packages/worker/src/main.ts",
  nodeFlags: [],
  deployed: false
}

export interface BatchRun {
  readonly concurrency: number
  readonly build: WorkerBuild
  readonly wallMs: number
  readonly floorMs: number
  readonly floor: Floor
  /** Items whose email cites at least one verified paper. */
  readonly withPapers: number
  readonly stats: RemoteWorld.WorldStats
  readonly statuses: Record<string, number>
  readonly retried: number
  readonly rateLimitedFailures: number
  readonly workerRss: ReadonlyArray<number>
  /** CPU seconds the worker spent on the batch. */
  readonly workerCpu: number
  readonly apiRss: ReadonlyArray<number>
}

export interface RunOptions {
  readonly rates: Rates
  /** More settings for the worker (e.g. `SCRIBE_SCHOLARLY_SOURCES`). */
  readonly env?: Record<string, string>
  /** Keep what earlier runs put in the author cache (default: emptied, so the run starts cold). */
  readonly warm?: boolean
  /** One email's critical path for the floor (default the pipeline's, `Fixtures.criticalPathMs`). */
  readonly criticalPathMs?: number
}

export const runBatch = async (
  ctx: BenchContext,
  setup: BatchSetup,
  api: Child,
  concurrency: number,
  build: WorkerBuild,
  options: RunOptions
): Promise<BatchRun> => {
  const { world, databaseUrl, origin } = setup
  await world.reset()
  const db = new Pg.Pool({ connectionString: databaseUrl, max: 1 })
  if (options.warm !== true) await db.query("TRUNCATE author_cache").catch(() => undefined)
  const worker = spawnTs(
    "worker",
    build.entry,
    {
      ...world.env,
      DATABASE_URL: databaseUrl,
      SCRIBE_WORKER_NAME: `bench-c${concurrency}`,
      SCRIBE_WORKER_CONCURRENCY: String(concurrency),
      ...Fixtures.scaledSettings(ctx.scale),
      ...rateSettings(options.rates, ctx.scale),
      ...options.env
    },
    build.nodeFlags
  )
  const client = httpClient(origin)
  try {
    await worker.waitFor(/Worker bench-c\d+ started with concurrency/)
    const token = await Fixtures.tokenFor(`bench-batch-c${concurrency}-${Date.now()}`)
    const cpuBefore = worker.cpu() ?? 0
    const stopWorkerRss = worker.sampleRss()
    const stopApiRss = api.sampleRss()
    const startedAt = Date.now()
    const created = await client.post("/api/queue/batch", token, {
      email_template: Fixtures.template(`batch-c${concurrency}-${startedAt}`),
      items: Fixtures.researchers
        .slice(0, items)
        .map((p) => ({ recipient_name: p.asTyped, recipient_interest: p.interest }))
    })
    if (created.status !== 201) throw new Error(`batch answered ${created.status}: ${created.body}`)
    const ids = (JSON.parse(created.body) as { queue_item_ids: Array<string> }).queue_item_ids
    const deadline = startedAt + 40 * items * Fixtures.criticalPathMs * ctx.scale + 60_000
    let statuses: Record<string, number> = {}
    for (;;) {
      const { rows } = await db.query<{ status: string; n: string }>(
        "SELECT status, count(*) AS n FROM queue_items WHERE id = ANY($1::uuid[]) GROUP BY status",
        [ids]
      )
      statuses = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
      if ((statuses.pending ?? 0) + (statuses.processing ?? 0) === 0) break
      if (Date.now() > deadline) throw new Error(`the batch did not finish in time: ${JSON.stringify(statuses)}`)
      await sleep(200)
    }
    const workerRss = stopWorkerRss()
    const workerCpu = (worker.cpu() ?? 0) - cpuBefore
    const apiRss = stopApiRss()
    const { rows } = await db.query<{ finished: Date; retried: string; rate_limited: string }>(
      `SELECT max(finished_at) AS finished,
              count(*) FILTER (WHERE attempts > 1) AS retried,
              count(*) FILTER (WHERE status = 'failed' AND error_type = 'RateLimited') AS rate_limited
       FROM queue_items WHERE id = ANY($1::uuid[])`,
      [ids]
    )
    const wallMs = rows[0]!.finished.getTime() - startedAt
    const stats = await world.stats()
    const floor = floorOf(stats, options.rates, ctx.scale, options.criticalPathMs ?? Fixtures.criticalPathMs)
    const { rows: cited } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM emails WHERE job_id = ANY($1::uuid[])
       AND jsonb_array_length(COALESCE(metadata->'papers_used', '[]'::jsonb)) > 0`,
      [ids]
    )
    return {
      concurrency,
      build,
      wallMs,
      floorMs: floor.ms,
      floor,
      withPapers: Number(cited[0]!.n),
      stats,
      statuses,
      retried: Number(rows[0]!.retried),
      rateLimitedFailures: Number(rows[0]!.rate_limited),
      workerRss,
      workerCpu,
      apiRss
    }
  } finally {
    client.close()
    await db.end()
    await worker.stop()
  }
}

/** Where a batch runs: the simulated world, the database and the API in front of it. */
export interface BatchSetup {
  readonly world: RemoteWorld.RemoteWorld
  readonly databaseUrl: string
  readonly origin: string
}

/**
 * Runs `body` against a world whose provider allows `providerRpm` requests a (scaled) minute, a new database and the
 * API process on it; all three are stopped (the database dropped) afterwards.
 */
export const withBatchStack = async <A>(
  ctx: BenchContext,
  providerRpm: number,
  body: (setup: BatchSetup, api: Child) => Promise<A>
): Promise<A> => {
  const world = await RemoteWorld.start({ scale: ctx.scale, latencies: Fixtures.seed, rpm: providerRpm })
  const database = await tempDatabase()
  try {
    const api = await startApi({ DATABASE_URL: database.url })
    try {
      return await body({ world, databaseUrl: database.url, origin: api.origin }, api.process)
    } finally {
      await api.process.stop()
    }
  } finally {
    await world.stop()
    await database.drop()
  }
}
