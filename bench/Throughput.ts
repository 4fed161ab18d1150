/**
 * Benchmark 6: a 100-item batch against a provider allowing 500 requests a minute, 5 searches a second and OpenAlex
 * at its keyed rate, with the seed latencies: the service now (the worker's default concurrency, the scholarly sources
 * in their default order) against the original's shape (concurrency 1, arXiv only) and the shape before the scholarly
 * sources (arXiv only, concurrency 8), and against its floor (`Floor.ts`). Then the same batch again, warm: the
 * author cache answers every lookup. Scholarly requests per recipient are counted in both.
 */
import * as WorkerOptions from "@scribe/core/jobs/WorkerOptions"
import { Effect } from "effect"
import { buildWorker } from "../scripts/build"
import { type BatchRun, deployedWorker, items, rates, runBatch, withBatchStack } from "./BatchRun"
import { type BenchContext, type BenchOutcome, type Row, round } from "./Harness"

const providerRpm = 500
/** A provider tier with room for the batch's tokens (2 M a minute, as OpenAI's second tier for small models). */
const providerTpm = 2_000_000
/** The concurrency before the scholarly sources (the worker's default then). */
const previousConcurrency = 8

const scholarlyRequests = (r: BatchRun) =>
  r.stats.openalex.accepted + r.stats.semanticScholar.accepted + r.stats.arxiv.accepted

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.promise(async () => {
    const ours = ctx.concurrency ?? WorkerOptions.defaultConcurrency
    const budget = rates(providerRpm, providerTpm)
    return withBatchStack(ctx, providerRpm, async (setup, api) => {
      ctx.log("throughput: building the worker (pnpm build:worker)")
      await buildWorker()
      const build = deployedWorker()
      const arxivOnly = { SCRIBE_SCHOLARLY_SOURCES: "arxiv" }
      const quick = process.env.SCRIBE_BENCH_BATCH_QUICK === "1"
      const step = async (what: string, concurrency: number, options: Parameters<typeof runBatch>[5]) => {
        ctx.log(`throughput: ${items} items, ${what}, concurrency ${concurrency} (×${ctx.scale})`)
        return runBatch(ctx, setup, api, concurrency, build, options)
      }
      const original = quick ? null : await step("arXiv only", 1, { rates: budget, env: arxivOnly })
      const before = quick ? null : await step("arXiv only", previousConcurrency, { rates: budget, env: arxivOnly })
      const now = await step("the scholarly sources, cold", ours, { rates: budget })
      const warm = await step("the scholarly sources, warm (same recipients)", ours, { rates: budget, warm: true })

      const rows: Array<Row> = []
      const wall = now.wallMs / 1000
      if (original !== null) {
        rows.push({
          bench: "throughput",
          name: "wall time vs the original's shape (concurrency 1, arXiv only)",
          value: wall,
          unit: "s",
          baseline: { label: "concurrency 1, arXiv only", value: original.wallMs / 1000 },
          target: { text: "≥ 15× faster", met: original.wallMs >= 15 * now.wallMs }
        })
      }
      if (before !== null) {
        rows.push({
          bench: "throughput",
          name: `wall time vs the shape before (concurrency ${previousConcurrency}, arXiv only)`,
          value: wall,
          unit: "s",
          baseline: { label: `concurrency ${previousConcurrency}, arXiv only`, value: before.wallMs / 1000 },
          target: { text: "≥ 4× faster", met: before.wallMs >= 4 * now.wallMs }
        })
      }
      rows.push(
        {
          bench: "throughput",
          name: `wall time vs floor (concurrency ${ours}, cold)`,
          value: wall,
          unit: "s",
          baseline: { label: `floor: ${now.floor.binding}`, value: now.floorMs / 1000 },
          target: { text: "≤ 1.2× floor", met: now.wallMs <= 1.2 * now.floorMs }
        },
        {
          bench: "throughput",
          name: `wall time warm (author cache; concurrency ${ours})`,
          value: warm.wallMs / 1000,
          unit: "s",
          baseline: { label: `floor: ${warm.floor.binding}`, value: warm.floorMs / 1000 }
        },
        {
          bench: "throughput",
          name: `scholarly requests for the ${items} recipients, cold (OpenAlex ${now.stats.openalex.accepted} / Semantic Scholar ${now.stats.semanticScholar.accepted} / arXiv ${now.stats.arxiv.accepted})`,
          value: scholarlyRequests(now),
          unit: "count",
          ...(before === null ? {} : { baseline: { label: "arXiv only", value: scholarlyRequests(before) } }),
          target: { text: `≤ 1.1 a recipient (${Math.round(1.1 * items)})`, met: scholarlyRequests(now) <= 1.1 * items }
        },
        {
          bench: "throughput",
          name: `scholarly requests for the ${items} recipients, warm`,
          value: scholarlyRequests(warm),
          unit: "count",
          target: { text: "0", met: scholarlyRequests(warm) === 0 }
        },
        {
          bench: "throughput",
          name: "failed jobs (cold and warm)",
          value: (now.statuses.failed ?? 0) + (warm.statuses.failed ?? 0),
          unit: "count",
          target: {
            text: "0 failed",
            met: (now.statuses.failed ?? 0) + (warm.statuses.failed ?? 0) === 0
          }
        },
        {
          bench: "throughput",
          name: "emails citing a verified paper (of 100; 30 researchers publish only in journals)",
          value: now.withPapers,
          unit: "count",
          ...(before === null ? {} : { baseline: { label: "arXiv only", value: before.withPapers } })
        }
      )
      const detail = (r: BatchRun | null) =>
        r === null
          ? null
          : {
              concurrency: r.concurrency,
              wallMs: r.wallMs,
              floorMs: round(r.floorMs),
              floorBinding: r.floor.binding,
              floorTermsMs: Object.fromEntries(Object.entries(r.floor.terms).map(([k, v]) => [k, round(v)])),
              statuses: r.statuses,
              retried: r.retried,
              withPapers: r.withPapers,
              workerCpuSeconds: round(r.workerCpu, 2),
              world: r.stats
            }
      return {
        rows,
        details: {
          rates: budget,
          original: detail(original),
          before: detail(before),
          now: detail(now),
          warm: detail(warm)
        }
      }
    })
  })
