/**
 * The API's latency measured from a load generator in a process of its own (`bench/processes/load.ts`), not from the
 * benchmark's process: after its bare-SQL baselines that process paused for its own garbage collection, 3–9 ms several
 * times a second, and those pauses read as the API's p99 (a tail that came and went between runs, on every endpoint
 * alike).
 */
import { join } from "node:path"
import { repoRoot, spawnTs } from "./Harness"

/** What the load process runs: `closedLoop` over GETs of `paths` with `tokens`, each taken in turn. */
export interface LoadPlan {
  readonly origin: string
  readonly paths: ReadonlyArray<string>
  readonly tokens: ReadonlyArray<string>
  readonly concurrency: number
  readonly durationMs: number
  readonly warmupMs?: number
  readonly maxSockets?: number
}

export interface LoadResult {
  readonly latencies: ReadonlyArray<number>
  readonly errors: number
  readonly throughput: number
}

/** Runs `plan` in a new load process and returns what it measured. */
export const closedLoopElsewhere = async (plan: LoadPlan): Promise<LoadResult> => {
  const child = spawnTs("load", join(repoRoot, "bench", "processes", "load.ts"), {
    SCRIBE_BENCH_LOAD: JSON.stringify(plan)
  })
  try {
    const reported = await child.waitFor(/load result (\{.*\})\n/, plan.durationMs + (plan.warmupMs ?? 0) + 60_000)
    return JSON.parse(reported[1]!) as LoadResult
  } finally {
    await child.stop()
  }
}
