import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { dirname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Failed } from "./CliError"

const entryInClone = join("packages", "http", "src", "main.ts")

/** The clone this CLI runs from (its sources or a bundle of them): the first folder above it with the service's entry. */
const findRepositoryRoot = (from: string): string | undefined => {
  let dir = from
  while (true) {
    if (existsSync(join(dir, entryInClone))) return dir
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export const repositoryRoot = findRepositoryRoot(dirname(fileURLToPath(import.meta.url)))

/** The running service: its URL and the dev token it printed (none when Supabase auth is configured). */
export interface Embedded {
  readonly url: string
  readonly token: Option.Option<string>
  readonly dataDir: string
}

export interface StartOptions {
  /** `SCRIBE_DATA_DIR` for the service: a folder, or `memory`; by default the repository's `.scribe/` as `pnpm start`. */
  readonly dataDir?: string | undefined
  /** Called once with a line to show while the service starts. */
  readonly onStarting?: (message: string) => void
}

const startTimeout = Duration.minutes(2)
const stopTimeout = Duration.seconds(15)

/** The data folder the service will use: the option, else `SCRIBE_DATA_DIR`, else `<repository>/.scribe`. */
export const resolveDataDir = (dataDir: string | undefined, env: NodeJS.ProcessEnv = process.env) => {
  const chosen = dataDir ?? env.SCRIBE_DATA_DIR
  if (chosen === "memory") return chosen
  return chosen === undefined || chosen === "" ? join(repositoryRoot ?? ".", ".scribe") : resolve(chosen)
}

const freePort = Effect.async<number, Failed>((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.fail(new Failed({ message: `No free port: ${error.message}` }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * One CLI-started service per data folder: two PGlite processes on one folder would corrupt it. The lock is a file
 * holding the owner's pid; a lock whose process is gone is taken over.
 */
const lockDataDir = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        mkdirSync(dataDir, { recursive: true })
        const lock = join(dataDir, "scribe-cli.lock")
        if (existsSync(lock)) {
          const owner = Number(readFileSync(lock, "utf8").trim())
          if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
            throw new Error(
              `another scribe --embedded (pid ${owner}) is using ${dataDir}; wait for it, or pass --data-dir memory`
            )
          }
        }
        writeFileSync(lock, String(process.pid), { mode: 0o600 })
        return lock
      },
      catch: (error) =>
        new Failed({ message: `Cannot use ${dataDir}: ${error instanceof Error ? error.message : error}` })
    }),
    (lock) => Effect.sync(() => unlinkSync(lock)).pipe(Effect.ignore)
  )

const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), Duration.toMillis(stopTimeout))
    child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    killGroup(child, "SIGTERM")
  })

const listening = /^Scribe is listening on (\S+)/
const devToken = /^export SCRIBE_TOKEN=(\S+)$/

/**
 * Starts the embedded default (`node --import tsx packages/http/src/main.ts`, as `pnpm start` does) on a free
 * loopback port, waits for the URL and dev token it prints, and stops it when the scope closes. The service runs in
 * its own process group, so a Ctrl-C reaches only the CLI, which then stops it (after cancelling, if asked).
 */
export const start = (options: StartOptions = {}) =>
  Effect.gen(function* () {
    const root = repositoryRoot
    if (root === undefined) {
      return yield* new Failed({
        message: `--embedded runs the service from a clone of the Scribe repository (${entryInClone}), and this CLI is not in one; use --url URL.`
      })
    }
    const entry = join(root, entryInClone)
    const dataDir = resolveDataDir(options.dataDir)
    if (dataDir !== "memory") yield* lockDataDir(dataDir)
    const port = yield* freePort
    options.onStarting?.(
      `Starting the embedded Scribe service (data: ${dataDir === "memory" ? "in memory, gone on exit" : dataDir})…`
    )
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      SCRIBE_DATA_DIR: dataDir,
      // Running jobs get a short grace on exit; the rest wait in the data folder for the next start.
      SCRIBE_SHUTDOWN_GRACE_SECONDS: process.env.SCRIBE_SHUTDOWN_GRACE_SECONDS ?? "3"
    }
    const expectToken = !env.SUPABASE_JWT_SECRET && !env.SUPABASE_URL
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(process.execPath, ["--import", "tsx", entry], {
          cwd: root,
          env,
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
          windowsHide: true
        })
        // Should the CLI end without closing its scope (an uncaught error), the service must not outlive it.
        const onExit = () => killGroup(child, "SIGKILL")
        process.once("exit", onExit)
        child.once("exit", () => process.removeListener("exit", onExit))
        return child
      }),
      stop
    )
    const tail: Array<string> = []
    const remember = (line: string) => {
      tail.push(line)
      if (tail.length > 40) tail.shift()
    }
    if (child.stderr !== null) createInterface({ input: child.stderr }).on("line", remember)
    const ready = Effect.async<Embedded, Failed>((resume) => {
      let url: string | undefined
      const lines = child.stdout === null ? undefined : createInterface({ input: child.stdout })
      const onExit = (code: number | null) =>
        resume(
          Effect.fail(
            new Failed({
              message: `The embedded service stopped while starting (exit code ${code}):\n${tail.join("\n")}`
            })
          )
        )
      child.once("exit", onExit)
      lines?.on("line", (line) => {
        remember(line)
        const address = listening.exec(line)?.[1]
        if (address !== undefined) url = address
        const token = devToken.exec(line)?.[1]
        if (url !== undefined && (token !== undefined || !expectToken)) {
          child.removeListener("exit", onExit)
          // Keep reading, so the service never blocks on a full pipe.
          lines.removeAllListeners("line")
          lines.on("line", remember)
          resume(Effect.succeed({ url, token: Option.fromNullable(token), dataDir }))
        }
      })
    })
    return yield* ready.pipe(
      Effect.timeoutFail({
        duration: startTimeout,
        onTimeout: () =>
          new Failed({
            message: `The embedded service did not start within ${Duration.format(startTimeout)}:\n${tail.join("\n")}`
          })
      })
    )
  })
