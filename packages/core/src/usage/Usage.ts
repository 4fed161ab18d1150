import { Option, Schema } from "effect"

/**
 * Token usage and its estimated cost. Token counts come from the LLM's responses (stored per call in an email's
 * `metadata.token_usage`); the cost is an estimate from a price table (USD per 1M tokens), never a bill.
 */

/** USD per 1M prompt (input) and completion (output) tokens. */
export const ModelPrice = Schema.Struct({
  prompt: Schema.Number.pipe(Schema.finite(), Schema.nonNegative()),
  completion: Schema.Number.pipe(Schema.finite(), Schema.nonNegative())
})
export type ModelPrice = typeof ModelPrice.Type

/** Prices by model name; the key `*` (when present) prices any model not listed. */
export const Prices = Schema.Record({ key: Schema.String.pipe(Schema.minLength(1)), value: ModelPrice })
export type Prices = typeof Prices.Type

export interface PriceTable {
  /** Names the prices an estimate was made with: `builtin-<date>`, or `custom-<hash>` when configured. */
  readonly version: string
  readonly prices: Prices
}

/** Public list prices (USD per 1M tokens, standard tier) of common OpenAI models. */
export const builtinPrices: Prices = {
  "gpt-4o-mini": { prompt: 0.15, completion: 0.6 },
  "gpt-4o": { prompt: 2.5, completion: 10 },
  "gpt-4.1": { prompt: 2, completion: 8 },
  "gpt-4.1-mini": { prompt: 0.4, completion: 1.6 },
  "gpt-4.1-nano": { prompt: 0.1, completion: 0.4 },
  "gpt-4-turbo": { prompt: 10, completion: 30 },
  "gpt-3.5-turbo": { prompt: 0.5, completion: 1.5 },
  "o3-mini": { prompt: 1.1, completion: 4.4 },
  "o4-mini": { prompt: 1.1, completion: 4.4 },
  o3: { prompt: 2, completion: 8 }
}

export const builtinPriceTable: PriceTable = { version: "builtin-2025-06", prices: builtinPrices }

/** A short, stable digest of a text (FNV-1a, 32 bits): enough to tell two price tables apart. */
const digest = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(16).padStart(8, "0")
}

/** The built-in prices with `overrides` on top (a listed model replaces its built-in price). */
export const priceTable = (overrides: Prices): PriceTable => {
  const keys = Object.keys(overrides).sort()
  if (keys.length === 0) return builtinPriceTable
  const canonical = JSON.stringify(keys.map((k) => [k, overrides[k]]))
  return { version: `custom-${digest(canonical)}`, prices: { ...builtinPrices, ...overrides } }
}

/**
 * The price of `model`: an exact entry, else the longest listed prefix (a dated snapshot such as
 * `gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`), else `*`, else none.
 */
export const priceOf = (table: PriceTable, model: string): Option.Option<ModelPrice> => {
  const exact = table.prices[model]
  if (exact !== undefined) return Option.some(exact)
  const prefix = Object.keys(table.prices)
    .filter((key) => key !== "*" && model.startsWith(`${key}-`))
    .sort((a, b) => b.length - a.length)[0]
  return Option.fromNullable(prefix === undefined ? table.prices["*"] : table.prices[prefix])
}

/** One LLM call as the pipeline stores it in `metadata.token_usage.calls`. */
export const UsageCall = Schema.Struct({
  step: Schema.String,
  model: Schema.String,
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Schema.Number,
  cached: Schema.Boolean
})

/** The part of an email's metadata this module reads. */
export const TokenUsageMetadata = Schema.Struct({
  token_usage: Schema.Struct({ calls: Schema.Array(UsageCall) })
})

/** Tokens and estimated cost of one model within one job (or one day). */
export interface ModelUsage {
  readonly model: string
  readonly calls: number
  readonly promptTokens: number
  readonly completionTokens: number
  /** USD; 0 for calls of a model the price table does not know. */
  readonly costUsd: number
}

/** What one job spent, per model; recorded with the job's completion. */
export interface JobUsage {
  readonly models: ReadonlyArray<ModelUsage>
}

/** Metadata of a job's cost estimate, stored beside `token_usage`. */
export interface CostEstimate {
  readonly cost_usd: number
  readonly cost: {
    readonly estimated: true
    readonly currency: "USD"
    readonly price_table: string
    /** USD per 1M tokens, for each model priced. */
    readonly prices: Readonly<Record<string, ModelPrice>>
    /** Models the table has no price for: their tokens count, their cost is 0. */
    readonly unpriced_models: ReadonlyArray<string>
  }
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9

/** Sums a generation's `metadata.token_usage.calls` per model and prices them. Metadata without usage spends nothing. */
export const jobUsage = (
  metadata: unknown,
  table: PriceTable
): { readonly usage: JobUsage; readonly estimate: CostEstimate } => {
  const decoded = Schema.decodeUnknownOption(TokenUsageMetadata)(metadata)
  const calls = Option.match(decoded, { onNone: () => [], onSome: (m) => m.token_usage.calls })
  const byModel = new Map<string, { calls: number; prompt: number; completion: number }>()
  for (const call of calls) {
    const entry = byModel.get(call.model) ?? { calls: 0, prompt: 0, completion: 0 }
    // A cached template analysis spent nothing in this job: it counts as no call.
    if (!call.cached) entry.calls += 1
    entry.prompt += call.prompt_tokens
    entry.completion += call.completion_tokens
    byModel.set(call.model, entry)
  }
  const prices: Record<string, ModelPrice> = {}
  const unpriced: Array<string> = []
  const models = [...byModel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, entry]): ModelUsage => {
      const price = priceOf(table, model)
      if (Option.isSome(price)) prices[model] = price.value
      else unpriced.push(model)
      const costUsd = Option.match(price, {
        onNone: () => 0,
        onSome: (p) => round((entry.prompt * p.prompt + entry.completion * p.completion) / 1_000_000)
      })
      return {
        model,
        calls: entry.calls,
        promptTokens: entry.prompt,
        completionTokens: entry.completion,
        costUsd
      }
    })
  return {
    usage: { models },
    estimate: {
      cost_usd: round(models.reduce((sum, m) => sum + m.costUsd, 0)),
      cost: { estimated: true, currency: "USD", price_table: table.version, prices, unpriced_models: unpriced }
    }
  }
}

/** One user's usage on one UTC day, as recorded when jobs finish. */
export interface DailyUsage {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string
  readonly emailsGenerated: number
  readonly jobsFailed: number
  readonly models: ReadonlyArray<ModelUsage>
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`: usage is counted per user per UTC day. */
export const utcDay = (date: Date): string => date.toISOString().slice(0, 10)

/** The UTC day `days` before `day`. */
export const daysBefore = (day: string, days: number): string =>
  utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) - days * 86_400_000))

export interface UsageTotals {
  readonly emailsGenerated: number
  readonly jobsFailed: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly totalTokens: number
  readonly costUsd: number
  /** Per model, by name. */
  readonly models: ReadonlyArray<ModelUsage>
}

/** Two lists of per-model usage added up model by model, by model name. */
export const addModelUsage = (
  a: ReadonlyArray<ModelUsage>,
  b: ReadonlyArray<ModelUsage>
): ReadonlyArray<ModelUsage> => {
  const byModel = new Map(a.map((m) => [m.model, m]))
  for (const m of b) {
    const seen = byModel.get(m.model)
    byModel.set(
      m.model,
      seen === undefined
        ? m
        : {
            model: m.model,
            calls: seen.calls + m.calls,
            promptTokens: seen.promptTokens + m.promptTokens,
            completionTokens: seen.completionTokens + m.completionTokens,
            costUsd: round(seen.costUsd + m.costUsd)
          }
    )
  }
  return [...byModel.values()].sort((x, y) => (x.model < y.model ? -1 : x.model > y.model ? 1 : 0))
}

/** Adds up days of usage. */
export const totals = (days: ReadonlyArray<DailyUsage>): UsageTotals => {
  const models = days.reduce<ReadonlyArray<ModelUsage>>((sum, day) => addModelUsage(sum, day.models), [])
  const promptTokens = models.reduce((n, m) => n + m.promptTokens, 0)
  const completionTokens = models.reduce((n, m) => n + m.completionTokens, 0)
  return {
    emailsGenerated: days.reduce((n, d) => n + d.emailsGenerated, 0),
    jobsFailed: days.reduce((n, d) => n + d.jobsFailed, 0),
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    costUsd: round(models.reduce((n, m) => n + m.costUsd, 0)),
    models
  }
}

/** Tokens spent on one day (prompt + completion, all models). */
export const dayTokens = (day: DailyUsage | undefined): number =>
  day === undefined ? 0 : day.models.reduce((n, m) => n + m.promptTokens + m.completionTokens, 0)
