/**
 * What every benchmark shares: the result rows, statistics, the table, the JSON record, child processes with their
 * memory sampled, and temporary databases. The load generator is in `Load.ts`.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { cpus, loadavg, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import Pg from "pg"

export const repoRoot = fileURLToPath(new URL("..", import.meta.url))

/** One figure of one benchmark, with the baseline or floor it is judged against, measured in the same run. */
export interface Row {
  readonly bench: string
  readonly name: string
  readonly value: number
  readonly unit: "ms" | "s" | "MB" | "req/s" | "count" | "%"
  readonly baseline?: { readonly label: string; readonly value: number }
  /** What the issue asks of this figure, in words, and whether this run meets it. */
  readonly target?: { readonly text: string; readonly met: boolean }
}

export interface BenchContext {
  /** Latencies are multiplied, budgets divided by it (0.1: ten times faster than the real upstreams). */
  readonly scale: number
  /** Seconds the pollers run (benchmark 5), not scaled. */
  readonly pollerSeconds: number
  /**
   * The time scale of the single-email benchmark (default 1: real latencies). Its per-email cost is fixed (~0.1 s),
   * so at ×0.1 it weighs ten times more against the critical path than it would for real; one email takes 11 s.
   */
  readonly singleScale: number
  /** The worker concurrency to compare with 1 in the batch (default: the worker's own default). */
  readonly concurrency: number | undefined
  readonly log: (line: string) => void
}

export interface BenchOutcome {
  readonly rows: ReadonlyArray<Row>
  /** Anything else worth keeping in the JSON record. */
  readonly details: Record<string, unknown>
}

export const ratioOf = (row: Row): number | null =>
  row.baseline === undefined || row.baseline.value === 0 ? null : row.value / row.baseline.value

// ---------------------------------------------------------------------------------------------------------------
// Statistics

export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export const median = (values: ReadonlyArray<number>): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50
  )

export interface Summary {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
  readonly mean: number
}

export const summarize = (samples: ReadonlyArray<number>): Summary => {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length)
  }
}

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

// ---------------------------------------------------------------------------------------------------------------
// The table

const format = (value: number, unit: Row["unit"]): string => {
  if (!Number.isFinite(value)) return "n/a"
  const digits = unit === "count" ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return `${value.toFixed(digits)} ${unit}`
}

export const table = (rows: ReadonlyArray<Row>, previous: ReadonlyArray<Row> = []): string => {
  const prior = new Map(previous.map((r) => [`${r.bench}\u0000${r.name}`, r]))
  const header = ["benchmark", "figure", "ours", "baseline / floor", "ratio", "target", "met", "previous run"]
  const lines = rows.map((row) => {
    const ratio = ratioOf(row)
    const before = prior.get(`${row.bench}\u0000${row.name}`)
    return [
      row.bench,
      row.name,
      format(row.value, row.unit),
      row.baseline === undefined ? "" : `${format(row.baseline.value, row.unit)} (${row.baseline.label})`,
      ratio === null ? "" : `${ratio.toFixed(2)}×`,
      row.target?.text ?? "",
      row.target === undefined ? "" : row.target.met ? "yes" : "NO",
      before === undefined ? "" : format(before.value, before.unit)
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const render = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`
  return [render(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(render)].join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// The machine

export const machine = () => {
  let postgres = "unknown"
  try {
    postgres = execFileSync(
      "psql",
      ["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-tAc", "SHOW server_version"],
      {
        encoding: "utf8",
        timeout: 5000
      }
    ).trim()
  } catch {
    // psql missing: the version stays unknown
  }
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** A free TCP port on the loopback interface. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Resident set size of a process in MB, from /proc (null once it has exited). */
export const rssMb = (pid: number): number | null => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]
    return kb === undefined ? null : Number(kb) / 1024
  } catch {
    return null
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (null once it has exited). */
export const cpuSeconds = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly output: () => string
  /** Resolves when `pattern` shows up in its output (rejects when it exits first or after `timeoutMs`). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>
  /** Samples its RSS every `intervalMs` until the returned function is called; that returns the samples in MB. */
  readonly sampleRss: (intervalMs?: number) => () => ReadonlyArray<number>
  /** CPU seconds used so far. */
  readonly cpu: () => number | null
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  readonly stop: (graceMs?: number) => Promise<void>
}

/**
 * Runs a TypeScript entry point as one Node process (`node --import tsx`, the loader tsx itself uses, without its
 * wrapper process), so the pid measured is the process doing the work. An `.mjs` entry runs on plain Node.
 */
export const spawnTs = (
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeFlags: ReadonlyArray<string> = []
): Child => {
  const args = entry.endsWith(".mjs") ? [entry] : ["--import", "tsx", entry]
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const listeners = new Set<() => void>()
  const echo = process.env.SCRIBE_BENCH_VERBOSE === "1"
  const append = (chunk: Buffer) => {
    if (echo) process.stderr.write(chunk.toString("utf8").replace(/^(?=.)/gm, `[${name}] `))
    output = (output + chunk.toString("utf8")).slice(-200_000)
    for (const listener of listeners) listener()
  }
  child.stdout?.on("data", append)
  child.stderr?.on("data", append)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  return {
    name,
    process: child,
    output: () => output,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output)
          if (match !== null) {
            cleanup()
            resolve(match)
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`))
        }, timeoutMs)
        const onExit = () => {
          cleanup()
          reject(new Error(`${name} exited before ${pattern}; output:\n${output.slice(-3000)}`))
        }
        const cleanup = () => {
          clearTimeout(timer)
          listeners.delete(check)
          child.off("exit", onExit)
        }
        listeners.add(check)
        child.once("exit", onExit)
        check()
      }),
    sampleRss: (intervalMs = 200) => {
      const samples: Array<number> = []
      const take = () => {
        const mb = child.pid === undefined ? null : rssMb(child.pid)
        if (mb !== null) samples.push(mb)
      }
      take()
      const timer = setInterval(take, intervalMs)
      return () => {
        clearInterval(timer)
        take()
        return samples
      }
    },
    cpu: () => (child.pid === undefined ? null : cpuSeconds(child.pid)),
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------------------------
// Postgres

export const adminUrl = process.env.SCRIBE_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** A fresh, empty database on the machine's Postgres (migrated by whichever Scribe process starts first). */
export const tempDatabase = async (): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `scribe_bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`
  const admin = new Pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    }
  }
}

/** The machine's load averages (1, 5, 15 min): other work on a 2-core machine moves every figure. */
export const load = (): ReadonlyArray<number> => loadavg().map((l) => round(l, 2))
