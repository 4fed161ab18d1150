/**
 * Renders Effect's metric registry as Prometheus text (exposition format 0.0.4), plus gauges of the jobs in the store
 * computed at scrape time. Served at `GET /metrics` by the API and, optionally, by a standalone worker.
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer, type HttpServerError, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { type JobCounts, JobStats } from "@scribe/core/jobs/JobStats"
import { Clock, Config, type ConfigError, Effect, Layer, Metric, type MetricPair, MetricState, Option } from "effect"

export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/** Only the service's own metrics are exposed. */
const prefix = "scribe_"

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

const formatNumber = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Number.POSITIVE_INFINITY) return "+Inf"
  if (value === Number.NEGATIVE_INFINITY) return "-Inf"
  return String(value)
}

const labelSet = (labels: ReadonlyArray<readonly [string, string]>): string =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`

interface Family {
  readonly name: string
  readonly type: "counter" | "gauge" | "histogram"
  readonly help: string
  readonly samples: Array<string>
}

/** The text of every `scribe_*` metric in `pairs` and of `extra` families, one family per metric name. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>, extra: ReadonlyArray<Family> = []) => {
  const families = new Map<string, Family>()
  const family = (name: string, type: Family["type"], help: string) => {
    const existing = families.get(name)
    if (existing !== undefined) return existing
    const created: Family = { name, type, help, samples: [] }
    families.set(name, created)
    return created
  }
  for (const pair of pairs) {
    const { name, tags, description } = pair.metricKey
    if (!name.startsWith(prefix)) continue
    const labels = tags.map((t) => [t.key, t.value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const help = Option.getOrElse(description, () => name)
    const state = pair.metricState
    if (MetricState.isCounterState(state)) {
      family(name, "counter", help).samples.push(`${name}${labelSet(labels)} ${formatNumber(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      family(name, "gauge", help).samples.push(`${name}${labelSet(labels)} ${formatNumber(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const f = family(name, "histogram", help)
      let sawInf = false
      for (const [bound, cumulative] of state.buckets) {
        sawInf ||= bound === Number.POSITIVE_INFINITY
        f.samples.push(`${name}_bucket${labelSet([...labels, ["le", formatNumber(bound)]])} ${cumulative}`)
      }
      if (!sawInf) f.samples.push(`${name}_bucket${labelSet([...labels, ["le", "+Inf"]])} ${state.count}`)
      f.samples.push(`${name}_sum${labelSet(labels)} ${formatNumber(state.sum)}`)
      f.samples.push(`${name}_count${labelSet(labels)} ${state.count}`)
    }
  }
  for (const f of extra) families.set(f.name, f)
  let text = ""
  for (const f of families.values()) {
    text += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n${f.samples.join("\n")}\n`
  }
  return text
}

/** Gauges of the store's jobs: by status, queue depth, age of the oldest pending job. */
export const jobFamilies = (counts: JobCounts, now: number): ReadonlyArray<Family> => [
  {
    name: "scribe_jobs",
    type: "gauge",
    help: "Jobs in the store by status (all workers, all time).",
    samples: Object.entries(counts.byStatus).map(([status, n]) => `scribe_jobs${labelSet([["status", status]])} ${n}`)
  },
  {
    name: "scribe_queue_depth",
    type: "gauge",
    help: "Pending jobs waiting for a worker (delayed retries included).",
    samples: [`scribe_queue_depth ${counts.byStatus.pending}`]
  },
  {
    name: "scribe_queue_oldest_pending_age_seconds",
    type: "gauge",
    help: "Seconds since the oldest pending job was created; 0 when none is pending.",
    samples: [
      `scribe_queue_oldest_pending_age_seconds ${
        counts.oldestPendingAt === null ? 0 : Math.max(0, (now - counts.oldestPendingAt.getTime()) / 1000)
      }`
    ]
  }
]

/** One scrape: the registry, and the job gauges when a `JobStats` is provided and answers. */
export const scrape: Effect.Effect<string> = Effect.gen(function* () {
  const stats = yield* Effect.serviceOption(JobStats)
  const counts = Option.isNone(stats)
    ? Option.none<JobCounts>()
    : yield* stats.value.counts.pipe(
        Effect.map(Option.some),
        Effect.catchAll((error) =>
          Effect.logWarning("Metrics: job counts unavailable", error).pipe(Effect.as(Option.none<JobCounts>()))
        )
      )
  const now = yield* Clock.currentTimeMillis
  return render(yield* Metric.snapshot, Option.match(counts, { onNone: () => [], onSome: (c) => jobFamilies(c, now) }))
})

export const response: Effect.Effect<HttpServerResponse.HttpServerResponse> = Effect.map(scrape, (text) =>
  HttpServerResponse.text(text, { contentType })
)

/**
 * A metrics-only HTTP server for a process without the API (a standalone worker): `GET /metrics` on
 * `SCRIBE_WORKER_METRICS_PORT` when set (on `HOST`, default 127.0.0.1), nothing otherwise.
 */
export const layerServerConfig: Layer.Layer<never, ConfigError.ConfigError | HttpServerError.ServeError> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const port = yield* Config.option(Config.port("SCRIBE_WORKER_METRICS_PORT"))
      const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
      if (Option.isNone(port)) return Layer.empty
      const router = HttpRouter.empty.pipe(HttpRouter.get("/metrics", response))
      return HttpServer.serve(router).pipe(
        HttpServer.withLogAddress,
        Layer.provide(NodeHttpServer.layer(createServer, { port: port.value, host }))
      )
    })
  )
