/**
 * The benchmarks' load generator in a process of its own (`LoadProcess.closedLoopElsewhere`): a closed loop of GETs
 * (`Load.closedLoop`) against the plan in `SCRIBE_BENCH_LOAD`, its paths and bearer tokens taken in turn. Prints
 * `load result <JSON>` and exits.
 */

import { closedLoop, httpClient } from "../Load"
import type { LoadPlan } from "../LoadProcess"

const plan = JSON.parse(process.env.SCRIBE_BENCH_LOAD ?? "null") as LoadPlan
const client = httpClient(plan.origin, { maxSockets: plan.maxSockets ?? plan.concurrency })
let n = 0
const result = await closedLoop(
  async () => {
    const i = n++
    return (await client.get(plan.paths[i % plan.paths.length]!, plan.tokens[i % plan.tokens.length]!)).status === 200
  },
  { concurrency: plan.concurrency, durationMs: plan.durationMs, warmupMs: plan.warmupMs ?? 0 }
)
client.close()
console.log(`load result ${JSON.stringify(result)}`)
