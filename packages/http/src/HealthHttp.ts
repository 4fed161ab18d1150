import { HttpApiBuilder } from "@effect/platform"
import { ScribeApi } from "@scribe/client/ScribeApi"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Effect, Option } from "effect"

export const HealthHttpLive = HttpApiBuilder.group(ScribeApi, "health", (handlers) =>
  Effect.gen(function* () {
    const probe = yield* HealthProbe
    return handlers.handle("health", () =>
      Effect.flatMap(probe.check, (report) => {
        const redis = Option.match(report.redis, {
          onNone: () => "not_configured" as const,
          onSome: (ok) => (ok ? ("ok" as const) : ("error" as const))
        })
        const healthy = report.database && redis !== "error"
        const body = {
          status: healthy ? ("healthy" as const) : ("unhealthy" as const),
          database: report.database ? ("ok" as const) : ("error" as const),
          redis
        }
        return healthy ? Effect.succeed(body) : Effect.fail(body)
      })
    )
  })
)
