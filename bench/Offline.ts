/**
 * Benchmark 7: the embedded default offline. The API and a worker in one process over PGlite, no language model, no
 * search engine, and no scholarly source reachable (their hosts do not resolve, as without a network): a 100-item
 * batch must still be written, quickly. Before the circuit breakers every job waited its 3 s arXiv turn to fail.
 */
import { Effect } from "effect"
import * as Fixtures from "./Fixtures"
import { type BenchContext, type BenchOutcome, type Row, round } from "./Harness"
import { httpClient } from "./Load"
import { completionTracer, inProcess } from "./Stack"

const items = 100

/** What `pnpm start` sees with no network: names that do not resolve (`.invalid` never does). */
const offline: Record<string, string> = {
  SCRIBE_DATA_DIR: "memory",
  SCRIBE_WORKER_NAME: "bench-offline",
  ARXIV_API_URL: "http://export.arxiv.invalid/api/query",
  SEMANTIC_SCHOLAR_API_URL: "http://api.semanticscholar.invalid/graph/v1"
}

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const completions = completionTracer()
      const origin = yield* inProcess(offline, completions.layer)
      const client = httpClient(origin)
      yield* Effect.addFinalizer(() => Effect.sync(() => client.close()))
      const token = yield* Effect.promise(() => Fixtures.tokenFor("bench-offline"))
      ctx.log(`offline: ${items} items on the embedded default, no upstream reachable`)
      const started = performance.now()
      const created = yield* Effect.promise(() =>
        client.post("/api/queue/batch", token, {
          email_template: Fixtures.template(`offline-${Date.now()}`),
          items: Fixtures.researchers
            .slice(0, items)
            .map((p) => ({ recipient_name: p.asTyped, recipient_interest: p.interest }))
        })
      )
      if (created.status !== 201) throw new Error(`batch answered ${created.status}: ${created.body}`)
      const ids = (JSON.parse(created.body) as { queue_item_ids: Array<string> }).queue_item_ids
      const done = yield* Effect.promise(() => Promise.all(ids.map((id) => completions.completedAt(id))))
      const wallMs = Math.max(...done) - started
      const sample = yield* Effect.promise(() => client.get(`/api/email/status/${ids[0]}`, token))
      const emailId = (JSON.parse(sample.body) as { result: { email_id: string } }).result.email_id
      const email = JSON.parse((yield* Effect.promise(() => client.get(`/api/email/${emailId}`, token))).body) as {
        email_message: string
        metadata: { warnings: Array<string>; confidence: { reason: string } }
      }
      const rows: Array<Row> = [
        {
          bench: "offline",
          name: `${items}-item batch, embedded default, no upstream reachable`,
          value: wallMs / 1000,
          unit: "s",
          target: { text: "< 10 s", met: wallMs < 10_000 }
        }
      ]
      return {
        rows,
        details: {
          wallMs: round(wallMs),
          sample: {
            email: email.email_message,
            warnings: email.metadata.warnings,
            confidence: email.metadata.confidence.reason
          }
        }
      }
    })
  )
