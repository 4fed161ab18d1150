/**
 * The simulated world in a process of its own, so its servers (LLM, search, pages, arXiv) never take CPU from the
 * Scribe process being measured — as real upstreams would not. Configured by `SCRIBE_BENCH_WORLD` (JSON: scale,
 * latencies, rpm); prints `world ready <json>` with the environment that points Scribe at it and the port of a
 * control server answering `GET /stats` (what the upstreams saw) and `POST /reset`.
 */
import * as Http from "node:http"
import * as World from "@scribe/adapters/testkit/World"
import { Effect } from "effect"
import * as Fixtures from "../Fixtures"

export interface WorldConfig {
  readonly scale: number
  readonly latencies: Fixtures.Latencies
  readonly rpm?: number
  /** arXiv's spacing (default 3000 ms before scaling; 0 turns it off). */
  readonly arxivIntervalMs?: number
}

const gapSummary = (times: ReadonlyArray<number>) => {
  const sorted = [...times].sort((a, b) => a - b)
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!)
  const ordered = [...gaps].sort((a, b) => a - b)
  const at = (p: number) => ordered[Math.min(ordered.length - 1, Math.floor((p / 100) * ordered.length))] ?? null
  return { count: gaps.length, min: at(0), p5: at(5), p50: at(50), p95: at(95) }
}

const config = JSON.parse(process.env.SCRIBE_BENCH_WORLD ?? "{}") as WorldConfig

const program = Effect.gen(function* () {
  const world = yield* World.make(
    Fixtures.worldOptions(config.scale, config.latencies, {
      ...(config.rpm === undefined ? {} : { rpm: config.rpm }),
      ...(config.arxivIntervalMs === undefined ? {} : { arxivIntervalMs: config.arxivIntervalMs })
    })
  )
  const stats = () => {
    const steps = ["template_parser", "web_scraper", "email_composer"] as const
    return {
      llm: {
        calls: world.llm.calls(),
        succeeded: world.llm.succeeded(),
        rateLimited: world.llm.requests.filter((r) => r.status === 429).length,
        byStep: Object.fromEntries(steps.map((s) => [s, world.llm.calls(s)])),
        succeededByStep: Object.fromEntries(steps.map((s) => [s, world.llm.succeeded(s)])),
        // What Scribe reserves of the token budget per call: the prompt's characters / 4 plus the completion cap.
        estimatedTokens: world.llm.requests.reduce(
          (n, r) => n + Math.ceil((r.system.length + r.prompt.length) / 4) + (r.maxTokens ?? 1024),
          0
        )
      },
      arxiv: {
        accepted: world.arxiv.accepted().length,
        throttled: world.arxiv.throttled().length,
        // Gaps between consecutive arrivals (ms), to see how close to the interval the spacing runs.
        gaps: gapSummary([...world.arxiv.accepted(), ...world.arxiv.throttled()].map((e) => e.at))
      },
      openalex: {
        accepted: world.openalex.accepted().length,
        throttled: world.openalex.throttled().length,
        searches: world.openalex.accepted().filter((r) => r.path === "/authors").length
      },
      semanticScholar: {
        accepted: world.semanticScholar.accepted().length,
        throttled: world.semanticScholar.throttled().length
      },
      search: { queries: world.search.queries.length },
      web: { served: world.web.served().length }
    }
  }
  const control = yield* Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((req, res) => {
        if (req.method === "POST" && req.url === "/reset") {
          world.reset()
          res.writeHead(204).end()
          return
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats()))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )
  const address = control.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  console.log(`world ready ${JSON.stringify({ env: world.env, control: port })}`)
  return yield* Effect.never
})

process.on("SIGTERM", () => process.exit(0))
Effect.runPromise(Effect.scoped(program)).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
