import { HttpApiBuilder } from "@effect/platform"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import type { ModelUsage, UsageTotals } from "@scribe/core/usage/Usage"
import * as Usage from "@scribe/core/usage/UsageUseCases"
import { Effect } from "effect"
import { orInternal } from "./Internal"

const modelUsage = (m: ModelUsage) => ({
  model: m.model,
  calls: m.calls,
  prompt_tokens: m.promptTokens,
  completion_tokens: m.completionTokens,
  total_tokens: m.promptTokens + m.completionTokens,
  cost_usd: m.costUsd
})

const totals = (t: UsageTotals) => ({
  emails_generated: t.emailsGenerated,
  jobs_failed: t.jobsFailed,
  prompt_tokens: t.promptTokens,
  completion_tokens: t.completionTokens,
  total_tokens: t.totalTokens,
  cost_usd: t.costUsd,
  models: t.models.map(modelUsage)
})

export const UsageHttpLive = HttpApiBuilder.group(ScribeApi, "usage", (handlers) =>
  Effect.succeed(
    handlers.handle("get", () =>
      CurrentUser.pipe(
        Effect.flatMap((user) => Usage.summary(user)),
        Effect.map((s) => ({
          today: { day: s.today.day, ...totals(s.today) },
          last_30_days: { from: s.last30Days.from, to: s.last30Days.to, ...totals(s.last30Days) }
        })),
        orInternal
      )
    )
  )
)
