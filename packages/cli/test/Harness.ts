import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import { freePort, stopChild } from "@scribe/adapters/testkit/ChildProcesses"
import { Effect } from "effect"
import { buildCli } from "../scripts/build"

export const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url))

/** The package's `bin`, which runs the sources under tsx. */
export const bin = join(repositoryRoot, "packages", "cli", "bin", "scribe.mjs")

let bundled: Promise<string> | undefined

/**
 * The CLI as `pnpm --filter @scribe/cli build` bundles it (in a folder of this test process's own, inside the
 * clone): it starts ten times faster than the sources under tsx, which keeps the suite's many runs quick.
 */
export const cliBundle = () => {
  bundled ??= buildCli(join(repositoryRoot, "packages", "cli", "dist", `test-${process.pid}`, "scribe.mjs"))
  return bundled
}

/** Removes this process's bundle. */
export const removeBundle = async () => {
  if (bundled === undefined) return
  rmSync(dirname(await bundled), { recursive: true, force: true })
}

export const jwtSecret = "scribe-cli-test-secret-0123456789abcdef0123456789"

/** A token for a user of its own, signed with the test service's secret. */
export const tokenFor = (sub: string) =>
  Effect.runPromise(
    SupabaseAuth.signHs256(jwtSecret, {
      sub,
      email: `${sub}@uni.edu`,
      aud: "authenticated",
      role: "authenticated",
      exp: Math.floor(Date.now() / 1000) + 3600
    })
  )

/** The environment of a child: this process's, without what would change how the CLI or the service behave. */
export const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) {
    if (
      /^(SCRIBE_|SUPABASE_|OPENAI_|DATABASE_URL|REDIS_URL|PORT|HOST|SEARXNG_URL|BRAVE_|ARXIV_|XDG_CONFIG_HOME)/.test(
        key
      )
    ) {
      delete env[key]
    }
  }
  return { ...env, NODE_ENV: "development", ...extra }
}

export interface Service {
  readonly url: string
  readonly stop: () => Promise<void>
}

/**
 * The embedded default as `pnpm start` runs it, in memory on a free port, as a child process, with `env` on top
 * (e.g. the simulated world's), verifying tokens signed with `jwtSecret`.
 */
export const startService = async (env: Record<string, string>): Promise<Service> => {
  const port = await freePort()
  const child = spawn(process.execPath, ["--import", "tsx", join("packages", "http", "src", "main.ts")], {
    cwd: repositoryRoot,
    env: cleanEnv({
      ...env,
      PORT: String(port),
      SCRIBE_DATA_DIR: "memory",
      SUPABASE_JWT_SECRET: jwtSecret,
      SCRIBE_SHUTDOWN_GRACE_SECONDS: "1"
    }),
    stdio: ["ignore", "pipe", "pipe"]
  })
  const output: Array<string> = []
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output.join("")}`)), 60_000)
    child.once("exit", (code) => reject(new Error(`the service exited (${code}):\n${output.join("")}`)))
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output.push(line)
      const match = /^Scribe is listening on (\S+)/.exec(line)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  await waitForHealth(url)
  return { url, stop: () => stopChild(child) }
}

const waitForHealth = async (url: string) => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/health`).then(
      () => true,
      () => false
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} never answered /health`)
}

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunningCli {
  readonly child: ChildProcess
  /** What it printed so far. */
  readonly stdout: () => string
  readonly done: Promise<CliResult>
}

/** Starts `scribe …args` (the bundle unless `entry` is given) as a child process with pipes (not a terminal). */
export interface CliOptions {
  readonly env?: Record<string, string>
  readonly cwd?: string
  /** What to run instead of the bundle (e.g. the package's `bin`). */
  readonly entry?: string
  /** Sent to its stdin (else stdin is closed). */
  readonly input?: string
}

export const startCli = async (args: ReadonlyArray<string>, options: CliOptions = {}): Promise<RunningCli> => {
  const entry = options.entry ?? (await cliBundle())
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: options.cwd ?? repositoryRoot,
    env: cleanEnv(options.env ?? {}),
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
  })
  if (options.input !== undefined) child.stdin?.end(options.input)
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 80_000)
    child.once("error", reject)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  return { child, stdout: () => stdout, done }
}

/** Runs `scribe …args` to its end (see `startCli`). */
export const runCli = async (args: ReadonlyArray<string>, options: CliOptions = {}): Promise<CliResult> =>
  (await startCli(args, options)).done

/** Polls `check` every 100 ms until it holds (30 s at most). */
export const eventually = async (what: string, check: () => boolean | Promise<boolean>) => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A fresh folder for one test's files. */
export const tempDir = (prefix = "scribe-cli-") => mkdtempSync(join(tmpdir(), prefix))

/** Writes a file into `dir` and returns its path. */
export const writeIn = (dir: string, name: string, content: string | Uint8Array) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

export const template = "Dear {{name}},\n\nI read your work on {{research}} with great interest.\n\nBest,\nSam\n"

/** Calls the service's API directly (to check what the CLI did), returning the parsed JSON body. */
export const api = async (url: string, token: string, path: string): Promise<unknown> => {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })
  return response.json()
}

/** The caller's queue as the API lists it. */
export const queueOf = (url: string, token: string) =>
  api(url, token, "/api/queue/") as Promise<ReadonlyArray<{ id: string; status: string; recipient_name: string }>>
