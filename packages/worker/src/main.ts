import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as PrometheusMetrics from "@scribe/adapters/ops/PrometheusMetrics"
import * as Telemetry from "@scribe/adapters/ops/Telemetry"
import * as PipelineLive from "@scribe/wiring/PipelineLive"
import { reportStartupFailure } from "@scribe/wiring/StartupErrors"
import { makeStandaloneLayer } from "@scribe/wiring/WorkerLive"
import { Layer } from "effect"

/**
 * A worker on its own: jobs from `DATABASE_URL` (and `REDIS_URL` dispatch when set), the configured pipeline; its own
 * `GET /metrics` when `SCRIBE_WORKER_METRICS_PORT` is set; logs and traces as for the API (service `scribe-worker`).
 */
NodeRuntime.runMain(
  Layer.launch(
    Layer.merge(makeStandaloneLayer(PipelineLive.layerConfig), PrometheusMetrics.layerServerConfig).pipe(
      Layer.provide(Telemetry.layerConfig("scribe-worker"))
    )
  ).pipe(reportStartupFailure),
  { disablePrettyLogger: true, disableErrorReporting: true }
)
