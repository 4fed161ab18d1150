import { HttpApiBuilder, type HttpServerRequest } from "@effect/platform"
import * as PrometheusMetrics from "@scribe/adapters/ops/PrometheusMetrics"

/**
 * `GET /metrics`: Prometheus text, outside the JSON contract (no OpenAPI entry) and without auth, like `/health`.
 * Operators keep it off the public internet (bind to an internal interface or gate it at the proxy). Job gauges
 * appear when a `JobStats` is provided.
 */
export const MetricsHttpLive = HttpApiBuilder.Router.use((router) => router.get("/metrics", PrometheusMetrics.response))

/** Scrapes and health checks would only clutter the traces. */
export const untraced = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const path = request.url.split("?")[0]
  return path === "/metrics" || path === "/health"
}
