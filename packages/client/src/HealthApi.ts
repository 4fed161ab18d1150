import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { HealthResponse } from "./Wire"

/** Liveness of the service and its stores; public. */
export class HealthApi extends HttpApiGroup.make("health", { topLevel: true }).add(
  HttpApiEndpoint.get("health", "/health")
    .addSuccess(HealthResponse)
    .addError(HealthResponse.annotations(HttpApiSchema.annotations({ status: 503 })))
    .annotate(OpenApi.Summary, "Checks the database and, when configured, Redis; 503 when one is down")
) {}
