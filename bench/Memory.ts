/**
 * The embedded default's memory at start: the service process of `pnpm start` (the API and its worker over PGlite,
 * built, with the script's Node flags) in a new data directory, and again reopened, against the same bundle without
 * its data directory seed (initdb at first start, as before) and against the former `pnpm start` (the TypeScript
 * under tsx, no flags). Then the whole README command (`npx pnpm start`: npx, pnpm, the build check, the service)
 * against the former one (`npx pnpm start:dev`): a first start that builds (the bundle made stale first) in a new data
 * directory, and a later start (nothing to build) reopening it. Last, the one-time seed's own process.
 *
 * Peaks are the kernel's high-water mark of each process (`VmHWM` in /proc), which sampling would miss: PGlite's
 * initdb runs synchronously in WebAssembly. Idle is the RSS `idleSeconds` after the service says it is listening. A
 * process tree's figures are sums over its processes (sampled every 100 ms, so a peak of a sum may miss a spike).
 */
import { spawn } from "node:child_process"
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { buildApi, defaultOutdir, deployedCommand } from "../scripts/build"
import { type BenchContext, type BenchOutcome, freePort, type Row, repoRoot, round, sleep } from "./Harness"

const idleSeconds = 10
const npx = ["npx", "--yes", "pnpm@10.34.9"]

/** VmHWM and VmRSS of a process in MB (null once it has exited). */
const memoryOf = (pid: number): { readonly peak: number; readonly rss: number } | null => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (field: string) => new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]
    const [peak, rss] = [kb("VmHWM"), kb("VmRSS")]
    // A process that has exited but not been reaped has no memory lines.
    return peak === undefined || rss === undefined ? null : { peak: Number(peak) / 1024, rss: Number(rss) / 1024 }
  } catch {
    return null
  }
}

const commandOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim()
  } catch {
    return ""
  }
}

/** A process and its descendants. */
const treeOf = (pid: number): ReadonlyArray<number> => {
  let children: Array<number> = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim()
      if (list !== "") children = children.concat(list.split(" ").map(Number))
    }
  } catch {
    return []
  }
  return [pid, ...children.flatMap(treeOf)]
}

interface Start {
  readonly label: string
  readonly command: string
  /** The service process: its peak and idle RSS, in MB. */
  readonly peak: number
  readonly idle: number
  /** Seconds from spawning to "listening". */
  readonly listening: number
  /** The whole process tree: the peak of the sampled sum and the sum when idle, in MB. */
  readonly treePeak: number
  readonly treeIdle: number
  /** Every process seen in the tree, with its last seen peak, and its RSS when idle (null: it had exited). */
  readonly processes: ReadonlyArray<{ readonly command: string; readonly peak: number; readonly idle: number | null }>
}

/**
 * Runs `argv` with only PATH and HOME from this environment (the embedded default on a free port, in `dataDir`),
 * waits for it to listen, lets it idle, reads its figures and stops it (SIGTERM to its process group).
 */
const start = async (
  ctx: BenchContext,
  label: string,
  argv: ReadonlyArray<string>,
  dataDir: string
): Promise<Start> => {
  const port = await freePort()
  ctx.log(`start-memory: ${label}: ${argv.join(" ")}`)
  const t0 = performance.now()
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      PORT: String(port),
      SCRIBE_DATA_DIR: dataDir,
      NODE_ENV: "development"
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-100_000)
  }
  child.stdout?.on("data", append)
  child.stderr?.on("data", append)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const pid = child.pid!
  let treePeak = 0
  const seen = new Map<number, { command: string; peak: number }>()
  const sample = () => {
    let sum = 0
    for (const p of treeOf(pid)) {
      const memory = memoryOf(p)
      if (memory === null) continue
      sum += memory.rss
      // Read each time: a forked process shows its parent's command line until it execs.
      seen.set(p, { command: commandOf(p) || (seen.get(p)?.command ?? ""), peak: memory.peak })
    }
    treePeak = Math.max(treePeak, sum)
    return sum
  }
  const sampler = setInterval(sample, 100)
  try {
    const deadline = Date.now() + 600_000
    while (!/is listening on/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${label}: not listening; output:\n${output.slice(-3000)}`)
      }
      await sleep(50)
    }
    const listening = (performance.now() - t0) / 1000
    await sleep(idleSeconds * 1000)
    const treeIdle = sample()
    const alive = new Set(treeOf(pid))
    const processes = [...seen].map(([p, { command, peak }]) => ({
      command,
      peak,
      idle: alive.has(p) ? (memoryOf(p)?.rss ?? null) : null
    }))
    // The node process running the bundle or the TypeScript (not the shell or tsx's launcher before it).
    const service = processes
      .filter((p) => /^\S*node .*(\/main\.mjs|--import \S+ packages\/http\/src\/main\.ts)$/.test(p.command))
      .sort((a, b) => b.peak - a.peak)[0]
    if (service?.idle == null) throw new Error(`${label}: no service process in ${JSON.stringify(processes)}`)
    return {
      label,
      command: argv.join(" "),
      peak: service.peak,
      idle: service.idle,
      listening,
      treePeak,
      treeIdle,
      processes: processes.map((p) => ({
        ...p,
        peak: round(p.peak, 1),
        idle: p.idle === null ? null : round(p.idle, 1)
      }))
    }
  } finally {
    clearInterval(sampler)
    try {
      process.kill(-pid, "SIGTERM")
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL")
      } catch {
        // already gone
      }
    }, 20_000)
    await exited
    clearTimeout(timer)
  }
}

/** The seed's own process, as a build makes it when the cache has none: its peak and its seconds. */
const seedCost = async (file: string): Promise<{ readonly peak: number; readonly seconds: number }> => {
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    ["--no-wasm-tier-up", "--no-wasm-dynamic-tiering", "--import", "tsx", "scripts/build.ts", "seed", file],
    { cwd: repoRoot, stdio: "ignore" }
  )
  let peak = 0
  const sampler = setInterval(() => {
    peak = Math.max(peak, memoryOf(child.pid!)?.peak ?? 0)
  }, 20)
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
  clearInterval(sampler)
  if (code !== 0) throw new Error(`making a seed exited with ${code}`)
  return { peak, seconds: (performance.now() - t0) / 1000 }
}

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.promise(async () => {
    const work = mkdtempSync(join(tmpdir(), "scribe-start-memory-"))
    try {
      const dir = (name: string) => join(work, name)
      const seeded = await buildApi(join(repoRoot, "bench", "tmp", "start-memory", "seeded"))
      const plainDir = join(repoRoot, "bench", "tmp", "start-memory", "initdb")
      rmSync(plainDir, { recursive: true, force: true })
      cpSync(join(seeded, ".."), plainDir, { recursive: true, filter: (src) => !src.endsWith("pglite-seed.tgz") })
      const plain = join(plainDir, "main.mjs")
      const { nodeFlags } = deployedCommand("api", "start")
      const node = (entry: string) => [process.execPath, ...nodeFlags, entry]
      const tsx = [process.execPath, "--import", "tsx", "packages/http/src/main.ts"]

      const fresh = await start(ctx, "first start, seeded", node(seeded), dir("a"))
      const reopened = await start(ctx, "reopened", node(seeded), dir("a"))
      const initdb = await start(ctx, "first start, plain initdb", node(plain), dir("b"))
      const tsxReopened = await start(ctx, "reopened, former pnpm start (tsx)", tsx, dir("a"))
      // The first `pnpm start` after a change builds: without the record of the last build, the bundle is stale.
      rmSync(join(defaultOutdir("api"), "built-from.json"), { force: true })
      const readme = await start(ctx, "README command, first start (builds)", [...npx, "start"], dir("c"))
      const readmeLater = await start(ctx, "README command, later start", [...npx, "start"], dir("c"))
      const former = await start(ctx, "former README command, first start", [...npx, "start:dev"], dir("d"))
      const formerLater = await start(ctx, "former README command, later start", [...npx, "start:dev"], dir("d"))
      const seed = await seedCost(dir("seed.tgz"))

      const plainLabel = "same bundle, plain initdb"
      const tsxLabel = "former pnpm start: tsx, no flags"
      const formerLabel = "former: npx pnpm start:dev"
      const row = (
        name: string,
        value: number,
        unit: Row["unit"],
        baseline?: Row["baseline"],
        below?: number
      ): Row => ({
        bench: "start-memory",
        name,
        value,
        unit,
        ...(baseline === undefined ? {} : { baseline }),
        ...(below === undefined ? {} : { target: { text: `< ${below} MB`, met: value < below } })
      })
      const idle = `${idleSeconds} s after listening`
      const rows: Array<Row> = [
        row(
          "first start (new data dir): service peak RSS",
          fresh.peak,
          "MB",
          { label: plainLabel, value: initdb.peak },
          400
        ),
        row(
          `first start: service RSS idle (${idle})`,
          fresh.idle,
          "MB",
          { label: plainLabel, value: initdb.idle },
          300
        ),
        row("first start: seconds to listening", fresh.listening, "s", { label: plainLabel, value: initdb.listening }),
        row("reopened: service peak RSS", reopened.peak, "MB", { label: tsxLabel, value: tsxReopened.peak }, 400),
        row(
          `reopened: service RSS idle (${idle})`,
          reopened.idle,
          "MB",
          { label: tsxLabel, value: tsxReopened.idle },
          300
        ),
        row("reopened: seconds to listening", reopened.listening, "s", {
          label: tsxLabel,
          value: tsxReopened.listening
        }),
        row(
          "README command (npx pnpm start), first start: service peak RSS",
          readme.peak,
          "MB",
          { label: formerLabel, value: former.peak },
          400
        ),
        row(
          "README command, first start: process tree, peak of the sum (the build's esbuild included)",
          readme.treePeak,
          "MB",
          {
            label: formerLabel,
            value: former.treePeak
          }
        ),
        row(`README command, first start: process tree idle (${idle})`, readme.treeIdle, "MB", {
          label: formerLabel,
          value: former.treeIdle
        }),
        row("README command, first start: seconds to listening (the build included)", readme.listening, "s", {
          label: formerLabel,
          value: former.listening
        }),
        row(
          "README command, later start (nothing to build, reopened): process tree, peak of the sum",
          readmeLater.treePeak,
          "MB",
          {
            label: formerLabel,
            value: formerLater.treePeak
          }
        ),
        row(`README command, later start: process tree idle (${idle})`, readmeLater.treeIdle, "MB", {
          label: formerLabel,
          value: formerLater.treeIdle
        }),
        row("README command, later start: seconds to listening", readmeLater.listening, "s", {
          label: formerLabel,
          value: formerLater.listening
        }),
        row("the seed, made once per PGlite version by the build: its process's peak RSS", seed.peak, "MB"),
        row("the seed: seconds to make", seed.seconds, "s")
      ]
      const mb = (value: number) => round(value, 1)
      const detail = (s: Start) => ({
        ...s,
        peak: mb(s.peak),
        idle: mb(s.idle),
        listening: round(s.listening, 2),
        treePeak: mb(s.treePeak),
        treeIdle: mb(s.treeIdle)
      })
      return {
        rows,
        details: {
          idleSeconds,
          nodeFlags,
          runs: [fresh, reopened, initdb, tsxReopened, readme, readmeLater, former, formerLater].map(detail),
          seed: { peak: mb(seed.peak), seconds: round(seed.seconds, 2) }
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })
