import { SqlClient, SqlSchema } from "@effect/sql"
import { UserId } from "@scribe/core/Ids"
import { type DailyUsage, type JobUsage, type ModelUsage, utcDay } from "@scribe/core/usage/Usage"
import { Effect, Schema } from "effect"
import { repoMethod } from "./RepoMethod"
import { Int8 } from "./Rows"

/** What a finished job adds to its user's usage of the day. */
export interface Spent {
  readonly completed: boolean
  readonly usage?: JobUsage | undefined
}

const DayRow = Schema.Struct({ day: Schema.String, emails_generated: Int8, jobs_failed: Int8 })

const ModelRow = Schema.Struct({
  day: Schema.String,
  model: Schema.String,
  calls: Int8,
  prompt_tokens: Int8,
  completion_tokens: Int8,
  cost_usd: Schema.Number
})

const Range = Schema.Struct({ userId: UserId, from: Schema.String, to: Schema.String })

/** Usage per user per UTC day: counted by the transactions that finish jobs (`record`), read back by `usage`. */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  const bumpDay = SqlSchema.void({
    Request: Schema.Struct({ userId: UserId, day: Schema.String, emails: Schema.Number, failed: Schema.Number }),
    execute: ({ userId, day, emails, failed }) => sql`
      INSERT INTO usage_daily (user_id, day, emails_generated, jobs_failed)
      VALUES (${userId}, ${day}::date, ${emails}, ${failed})
      ON CONFLICT (user_id, day) DO UPDATE
      SET emails_generated = usage_daily.emails_generated + EXCLUDED.emails_generated,
          jobs_failed = usage_daily.jobs_failed + EXCLUDED.jobs_failed`
  })

  const bumpModel = SqlSchema.void({
    Request: Schema.Struct({
      userId: UserId,
      day: Schema.String,
      model: Schema.String,
      calls: Schema.Number,
      prompt: Schema.Number,
      completion: Schema.Number,
      cost: Schema.Number
    }),
    execute: ({ userId, day, model, calls, prompt, completion, cost }) => sql`
      INSERT INTO usage_daily_models (user_id, day, model, calls, prompt_tokens, completion_tokens, cost_usd)
      VALUES (${userId}, ${day}::date, ${model}, ${calls}, ${prompt}, ${completion}, ${cost})
      ON CONFLICT (user_id, day, model) DO UPDATE
      SET calls = usage_daily_models.calls + EXCLUDED.calls,
          prompt_tokens = usage_daily_models.prompt_tokens + EXCLUDED.prompt_tokens,
          completion_tokens = usage_daily_models.completion_tokens + EXCLUDED.completion_tokens,
          cost_usd = usage_daily_models.cost_usd + EXCLUDED.cost_usd`
  })

  const days = SqlSchema.findAll({
    Request: Range,
    Result: DayRow,
    execute: ({ userId, from, to }) => sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, emails_generated, jobs_failed FROM usage_daily
      WHERE user_id = ${userId} AND day BETWEEN ${from}::date AND ${to}::date
      ORDER BY day`
  })

  const models = SqlSchema.findAll({
    Request: Range,
    Result: ModelRow,
    execute: ({ userId, from, to }) => sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, model, calls, prompt_tokens, completion_tokens, cost_usd
      FROM usage_daily_models
      WHERE user_id = ${userId} AND day BETWEEN ${from}::date AND ${to}::date
      ORDER BY day, model`
  })

  /** Counts one finished job (and what it spent) in its user's usage of the day; runs in the caller's transaction. */
  const record = (userId: UserId, now: Date, spent: Spent) =>
    Effect.gen(function* () {
      const day = utcDay(now)
      yield* bumpDay({ userId, day, emails: spent.completed ? 1 : 0, failed: spent.completed ? 0 : 1 })
      for (const m of spent.usage?.models ?? []) {
        yield* bumpModel({
          userId,
          day,
          model: m.model,
          calls: m.calls,
          prompt: m.promptTokens,
          completion: m.completionTokens,
          cost: m.costUsd
        })
      }
    })

  const usage = (userId: UserId, from: string, to: string) =>
    Effect.gen(function* () {
      const perDay = yield* days({ userId, from, to })
      const perModel = yield* models({ userId, from, to })
      return perDay.map(
        (d): DailyUsage => ({
          day: d.day,
          emailsGenerated: d.emails_generated,
          jobsFailed: d.jobs_failed,
          models: perModel
            .filter((m) => m.day === d.day)
            .map(
              (m): ModelUsage => ({
                model: m.model,
                calls: m.calls,
                promptTokens: m.prompt_tokens,
                completionTokens: m.completion_tokens,
                costUsd: m.cost_usd
              })
            )
        })
      )
    }).pipe(repoMethod("usage"))

  return { usage, record }
})
