/** The simulated world running in its own process (`bench/processes/world.ts`), seen from the benchmark. */
import type * as Fixtures from "./Fixtures"
import { type Child, spawnTs } from "./Harness"
import { httpClient } from "./Load"

export interface WorldStats {
  readonly llm: {
    readonly calls: number
    readonly succeeded: number
    readonly rateLimited: number
    readonly byStep: Record<string, number>
    readonly succeededByStep: Record<string, number>
    /** Tokens Scribe reserves of its budget for these calls (≈ prompt characters / 4 + the completion cap). */
    readonly estimatedTokens: number
  }
  readonly openalex: { readonly accepted: number; readonly throttled: number; readonly searches: number }
  readonly semanticScholar: { readonly accepted: number; readonly throttled: number }
  readonly arxiv: {
    readonly accepted: number
    readonly throttled: number
    readonly gaps: {
      readonly count: number
      readonly min: number | null
      readonly p5: number | null
      readonly p50: number | null
    }
  }
  readonly search: { readonly queries: number }
  readonly web: { readonly served: number }
}

export interface RemoteWorld {
  /** The environment that points Scribe's adapters at this world. */
  readonly env: Record<string, string>
  readonly stats: () => Promise<WorldStats>
  /** Clears the logs and the budget windows. */
  readonly reset: () => Promise<void>
  readonly child: Child
  readonly stop: () => Promise<void>
}

export const start = async (options: {
  readonly scale: number
  readonly latencies: Fixtures.Latencies
  readonly rpm?: number
  readonly arxivIntervalMs?: number
}): Promise<RemoteWorld> => {
  const child = spawnTs("world", "bench/processes/world.ts", { SCRIBE_BENCH_WORLD: JSON.stringify(options) })
  const ready = await child.waitFor(/world ready (\{.*\})\n/)
  const { env, control } = JSON.parse(ready[1]!) as { env: Record<string, string>; control: number }
  const client = httpClient(`http://127.0.0.1:${control}`, { maxSockets: 2 })
  return {
    env,
    stats: async () => JSON.parse((await client.request("GET", "/stats")).body) as WorldStats,
    reset: async () => {
      await client.request("POST", "/reset")
    },
    child,
    stop: async () => {
      client.close()
      await child.stop()
    }
  }
}
