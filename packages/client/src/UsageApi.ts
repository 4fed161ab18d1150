import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { InternalServerErrorBody } from "./ApiErrors"
import { Authentication } from "./Authentication"

const Day = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/)).annotations({
  description: "A UTC calendar day, `YYYY-MM-DD`",
  examples: ["2026-03-01"]
})

/** What one model spent: LLM calls, tokens and the estimated cost. */
export const ModelUsage = Schema.Struct({
  model: Schema.String.annotations({ description: "The model name as the LLM reported it" }),
  calls: Schema.Int.annotations({ description: "LLM calls made (cached template analyses are not calls)" }),
  prompt_tokens: Schema.Int,
  completion_tokens: Schema.Int,
  total_tokens: Schema.Int,
  cost_usd: Schema.Number.annotations({
    description: "Estimated cost in USD from the price table in force when each job finished (0 for unpriced models)"
  })
}).annotations({ identifier: "ModelUsage" })

const totalsFields = {
  emails_generated: Schema.Int.annotations({ description: "Jobs completed with an email" }),
  jobs_failed: Schema.Int.annotations({ description: "Jobs that failed for good (retries are not counted)" }),
  prompt_tokens: Schema.Int,
  completion_tokens: Schema.Int,
  total_tokens: Schema.Int,
  cost_usd: Schema.Number.annotations({ description: "Estimated cost in USD: tokens × the configured prices" }),
  models: Schema.Array(ModelUsage).annotations({ description: "Per model, by name" })
}

/** The caller's usage on one UTC day. */
export const DayUsage = Schema.Struct({ day: Day, ...totalsFields }).annotations({ identifier: "DayUsage" })

/** The caller's usage over a range of UTC days, both ends included. */
export const PeriodUsage = Schema.Struct({ from: Day, to: Day, ...totalsFields }).annotations({
  identifier: "PeriodUsage"
})

/**
 * `GET /api/usage`: the caller's usage today and over the last 30 days (UTC days, today included). Counted when a job
 * finishes: a completed job adds its email and the tokens its LLM calls reported; a failed job adds a failure (the
 * tokens of failed attempts are not counted). Costs are estimates.
 */
export const UsageResponse = Schema.Struct({
  today: DayUsage,
  last_30_days: PeriodUsage
}).annotations({ identifier: "UsageResponse" })

/** The caller's token usage and estimated cost. */
export class UsageApi extends HttpApiGroup.make("usage")
  .add(
    HttpApiEndpoint.get("get", "/")
      .addSuccess(UsageResponse)
      .annotate(
        OpenApi.Summary,
        "The caller's emails, failures, tokens and estimated cost: today and the last 30 days (UTC), per model"
      )
  )
  .addError(InternalServerErrorBody)
  .middleware(Authentication)
  .prefix("/api/usage") {}
