import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { freePort, stopChild } from "@scribe/adapters/testkit/ChildProcesses"
import * as World from "@scribe/adapters/testkit/World"
import { Effect, Exit, Scope } from "effect"

const root = fileURLToPath(new URL("../../..", import.meta.url))

export interface Service {
  readonly origin: string
  readonly world: World.WorldService
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/**
 * The service as `pnpm start` runs it (`packages/http/src/main.ts` under tsx, embedded default, in memory), with no
 * language model (the deterministic composer writes) and the simulated world for search, pages and arXiv, so nothing
 * leaves this machine. One worker at a time, so a batch waits in line.
 */
export const startService = async (env: Record<string, string> = {}): Promise<Service> => {
  const scope = Effect.runSync(Scope.make())
  const world = await Effect.runPromise(Scope.extend(World.make({ scale: 0.05 }), scope))
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...upstreams } = world.env
  const port = await freePort()
  const child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, "packages/http/src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      ...upstreams,
      SCRIBE_DATA_DIR: "memory",
      PORT: String(port),
      HOST: "127.0.0.1",
      SCRIBE_WORKER_CONCURRENCY: "1",
      // arXiv alone, at its pace, sets each job's length: slow enough to watch a batch wait in line, quick enough for
      // a test (the other scholarly sources answer a whole batch at once).
      SCRIBE_SCHOLARLY_SOURCES: "arxiv",
      SCRIBE_ARXIV_MIN_INTERVAL_MS: "1500",
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()))
  const origin = `http://127.0.0.1:${port}`
  const stop = async () => {
    await stopChild(child)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    const ok = await fetch(`${origin}/health`).then(
      (r) => r.ok,
      () => false
    )
    if (ok) break
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the service did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return { origin, world, output: () => output, stop }
}
