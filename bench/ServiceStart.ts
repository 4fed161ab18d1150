/**
 * One start of the service as the start-memory benchmark (`Memory.ts`) measures it: the process tree's memory from
 * /proc (peaks as the kernel's high-water mark, `VmHWM`), the seconds to listening, and the idle figures; and the
 * one-time seed's own process.
 */
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { type BenchContext, freePort, repoRoot, round, sleep } from "./Harness"

/** Seconds the service idles after it says it is listening, before its idle figures are read. */
export const idleSeconds = 10

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

export interface Start {
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
export const start = async (
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
export const seedCost = async (file: string): Promise<{ readonly peak: number; readonly seconds: number }> => {
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
