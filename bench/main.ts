/**
 * `pnpm bench [name…] [--scale=0.1] [--single-email-scale=1] [--poller-seconds=60] [--concurrency=N]`: runs the
 * benchmarks (all, or the ones named) against the simulated world over real HTTP, prints one table (our
 * figure, the baseline or floor measured in the same run, the ratio, the target) and writes
 * `bench/results/<timestamp>.json` and `bench/results/latest.json`.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Logger, LogLevel } from "effect"
import * as Admin from "./Admin"
import * as Batch from "./Batch"
import * as FairQueue from "./FairQueue"
import {
  type BenchContext,
  type BenchOutcome,
  load,
  machine,
  type Row,
  ratioOf,
  repoRoot,
  round,
  table
} from "./Harness"
import * as Listing from "./Listing"
import * as Memory from "./Memory"
import * as Offline from "./Offline"
import * as Pollers from "./Pollers"
import * as SingleEmail from "./SingleEmail"
import * as Throughput from "./Throughput"

const benchmarks: Record<string, (ctx: BenchContext) => Effect.Effect<BenchOutcome, unknown>> = {
  "single-email": SingleEmail.run,
  batch: Batch.run,
  throughput: Throughput.run,
  offline: Offline.run,
  listing: Listing.run,
  pollers: Pollers.run,
  "start-memory": Memory.run,
  admin: Admin.run,
  "fair-queue": FairQueue.run
}

const args = process.argv.slice(2)
const flag = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
  (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined)
const flagValues = new Set(
  ["--scale", "--single-email-scale", "--poller-seconds", "--concurrency"]
    .filter((f) => args.includes(f))
    .map((f) => args[args.indexOf(f) + 1])
)
const names = args.filter((a) => !a.startsWith("--") && !flagValues.has(a))
const unknown = names.filter((n) => !(n in benchmarks))
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Known: ${Object.keys(benchmarks).join(", ")}`)
  process.exit(2)
}
const scale = Number(flag("scale") ?? process.env.SCRIBE_BENCH_SCALE ?? "0.1")
const pollerSeconds = Number(flag("poller-seconds") ?? process.env.SCRIBE_BENCH_POLLER_SECONDS ?? "60")
const singleScale = Number(flag("single-email-scale") ?? "1")
const concurrencyFlag = flag("concurrency")
const concurrency = concurrencyFlag === undefined ? undefined : Number(concurrencyFlag)
if (
  !(scale > 0 && scale <= 1) ||
  !(singleScale > 0 && singleScale <= 1) ||
  !(pollerSeconds > 0) ||
  (concurrency !== undefined && !(concurrency >= 1))
) {
  console.error("--scale and --single-email-scale must be in (0, 1], --poller-seconds positive, --concurrency ≥ 1")
  process.exit(2)
}

const selected = names.length === 0 ? Object.keys(benchmarks) : names
const resultsDir = join(repoRoot, "bench", "results")
const previousRows = (): ReadonlyArray<Row> => {
  try {
    return (JSON.parse(readFileSync(join(resultsDir, "latest.json"), "utf8")) as { rows: ReadonlyArray<Row> }).rows
  } catch {
    return []
  }
}

// A benchmark run for another `pnpm bench` process (see `alone`) reports its outcome in this file and prints no table.
const outcomeFile = process.env.SCRIBE_BENCH_OUTCOME
const started = Number(process.env.SCRIBE_BENCH_STARTED ?? Date.now())
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`)

/**
 * Runs one benchmark in a new process of its own, with the same options: what one benchmark leaves behind in the load
 * generator (single-email's in-process API, worker and PGlite leave a ~500 MB process whose collections land in the
 * next benchmark's latencies) must not move the next one's figures, so each figure is the one it has run alone.
 */
const alone = (name: string): Effect.Effect<BenchOutcome, Error> =>
  Effect.async<BenchOutcome, Error>((resume) => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-bench-"))
    const file = join(dir, "outcome.json")
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "bench", "main.ts"), name, ...args.filter((a) => !names.includes(a))],
      {
        cwd: repoRoot,
        env: { ...process.env, SCRIBE_BENCH_OUTCOME: file, SCRIBE_BENCH_STARTED: String(started) },
        stdio: "inherit"
      }
    )
    child.once("exit", (code) => {
      let outcome: BenchOutcome | undefined
      try {
        if (code === 0) outcome = JSON.parse(readFileSync(file, "utf8")) as BenchOutcome
      } catch {
        // reported below as a failed benchmark
      }
      rmSync(dir, { recursive: true, force: true })
      resume(
        outcome === undefined
          ? Effect.fail(new Error(`benchmark ${name} exited with ${code} without reporting its figures`))
          : Effect.succeed(outcome)
      )
    })
    return Effect.sync(() => child.kill("SIGTERM"))
  })

const program = Effect.gen(function* () {
  const ctx: BenchContext = { scale, singleScale, pollerSeconds, concurrency, log }
  if (outcomeFile !== undefined) {
    const outcome = yield* benchmarks[selected[0]!]!(ctx)
    writeFileSync(outcomeFile, JSON.stringify(outcome))
    return
  }
  log(
    `scale ×${scale} (latencies ×${scale}, budgets ÷${scale}; single-email at ×${singleScale}); benchmarks: ${selected.join(", ")}`
  )
  const rows: Array<Row> = []
  const details: Record<string, unknown> = {}
  // Other work on the machine moves every figure: the load averages are kept with the results.
  const loadBefore = load()
  const durations: Record<string, number> = {}
  for (const name of selected) {
    const t0 = Date.now()
    const outcome = yield* selected.length === 1 ? benchmarks[name]!(ctx) : alone(name)
    durations[name] = round((Date.now() - t0) / 1000, 1)
    log(`${name} done in ${durations[name]} s`)
    rows.push(...outcome.rows)
    details[name] = outcome.details
  }
  const previous = previousRows()
  const host = machine()
  console.log(
    `\nScale ×${scale} (single-email ×${singleScale}) · ${host.cores} cores (${host.cpu}), ${host.memoryGb} GB · ` +
      `Node ${host.node} · PostgreSQL ${host.postgres} · load ${loadBefore.join(" ")} → ${load().join(" ")}\n`
  )
  console.log(table(rows, previous))
  const met = rows.filter((r) => r.target !== undefined)
  console.log(
    `\nTargets met: ${met.filter((r) => r.target!.met).length}/${met.length} · total ${((Date.now() - started) / 1000).toFixed(0)} s`
  )
  const record = {
    startedAt: new Date(started).toISOString(),
    scale,
    singleEmailScale: singleScale,
    pollerSeconds,
    benchmarks: selected,
    machine: host,
    load: { before: loadBefore, after: load() },
    durationsSeconds: durations,
    rows: rows.map((r) => ({
      ...r,
      value: round(r.value, 3),
      ...(r.baseline ? { baseline: { ...r.baseline, value: round(r.baseline.value, 3) } } : {}),
      ratio: ratioOf(r) === null ? null : round(ratioOf(r)!, 3)
    })),
    details
  }
  mkdirSync(resultsDir, { recursive: true })
  const file = join(resultsDir, `${new Date(started).toISOString().replace(/[:.]/g, "-")}.json`)
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
  // latest.json holds the last full run; a partial run updates only its own rows.
  const merged =
    names.length === 0
      ? record
      : {
          ...record,
          rows: [
            ...previous.filter((r) => !selected.includes(r.bench)).map((r) => ({ ...r, ratio: ratioOf(r) })),
            ...record.rows
          ]
        }
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(merged, null, 2)}\n`)
  console.log(`\nResults: ${file} (and bench/results/latest.json)`)
})

program
  .pipe(
    Logger.withMinimumLogLevel(process.env.SCRIBE_BENCH_VERBOSE === "1" ? LogLevel.Info : LogLevel.Error),
    Effect.runPromise
  )
  .then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
