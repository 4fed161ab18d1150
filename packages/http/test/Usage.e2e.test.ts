import { layer } from "@effect/vitest"
import * as People from "@scribe/adapters/testkit/People"
import * as World from "@scribe/adapters/testkit/World"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { emailOf, layerApp, newUserToken, submit } from "./EndToEnd"
import { call } from "./TestServer"

/**
 * Issue 7's usage acceptance end to end: the real API, worker and pipeline on embedded PGlite, the simulated LLM
 * reporting token usage. Prices are configured (USD per 1M tokens), so the cost is checked against them; a daily
 * token budget of 1 token lets each user's first job run and fails the next before any upstream call.
 */
const prices = { prompt: 1.5, completion: 4 }

const App = layerApp({
  env: {
    SCRIBE_WORKER_NAME: "usage-e2e",
    SCRIBE_LLM_PRICES: JSON.stringify({ "gpt-4o-mini": prices }),
    SCRIBE_DAILY_TOKEN_BUDGET_PER_USER: "1"
  }
})

type Call = { model: string; prompt_tokens: number; completion_tokens: number; total_tokens: number; cached: boolean }
type Metadata = {
  token_usage: {
    calls: Array<Call>
    totals: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
  }
  cost_usd: number
  cost: { estimated: boolean; currency: string; price_table: string; prices: Record<string, unknown> }
}
type ModelUsage = { model: string; calls: number; prompt_tokens: number; completion_tokens: number; cost_usd: number }
type Totals = {
  emails_generated: number
  jobs_failed: number
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  cost_usd: number
  models: Array<ModelUsage>
}
type Usage = { today: Totals & { day: string }; last_30_days: Totals & { from: string; to: string } }

layer(App, { timeout: "120 seconds", excludeTestServices: true })("usage and cost end to end", (it) => {
  describe("per email and in /api/usage", () => {
    it.effect("the simulated LLM's tokens are in the email and the caller's usage; cost = tokens × prices", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        const token = yield* newUserToken()
        const { task } = yield* submit(token, People.ada)
        expect(task.status).toBe("SUCCESS")
        const { metadata } = yield* emailOf<{ metadata: Metadata }>(token, task)

        const calls = metadata.token_usage.calls.filter((c) => !c.cached)
        expect(calls.length).toBeGreaterThan(0)
        // every token counted is one the simulated LLM reported
        const reported = world.llm.requests.length
        expect(reported).toBeGreaterThanOrEqual(calls.length)
        const prompt = calls.reduce((n, c) => n + c.prompt_tokens, 0)
        const completion = calls.reduce((n, c) => n + c.completion_tokens, 0)
        expect(prompt).toBeGreaterThan(0)
        expect(completion).toBe(120 * calls.length)
        expect(metadata.token_usage.totals).toEqual({
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion
        })
        const expectedCost = (prompt * prices.prompt + completion * prices.completion) / 1_000_000
        expect(metadata.cost_usd).toBeCloseTo(expectedCost, 9)
        expect(metadata.cost).toMatchObject({
          estimated: true,
          currency: "USD",
          prices: { "gpt-4o-mini": prices }
        })
        expect(metadata.cost.price_table).toMatch(/^custom-[0-9a-f]{8}$/)

        const usage = (yield* call("GET", "/api/usage", { token })).body as Usage
        for (const period of [usage.today, usage.last_30_days]) {
          expect(period).toMatchObject({
            emails_generated: 1,
            jobs_failed: 0,
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion
          })
          expect(period.cost_usd).toBeCloseTo(expectedCost, 9)
          expect(period.models).toHaveLength(1)
          expect(period.models[0]).toMatchObject({
            model: "gpt-4o-mini",
            calls: calls.length,
            prompt_tokens: prompt,
            completion_tokens: completion
          })
        }
        expect(usage.today.day).toBe(new Date().toISOString().slice(0, 10))
      })
    )
  })

  describe("daily token budget", () => {
    it.effect("a user over budget: the job fails with BudgetExceeded before any upstream call", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        const token = yield* newUserToken()
        expect((yield* submit(token, People.alan)).task.status).toBe("SUCCESS")
        const llm = world.llm.requests.length
        const search = world.search.queries.length
        const arxiv = world.arxiv.accepted().length + world.arxiv.throttled().length
        const pages = world.web.served().length

        const { task: over } = yield* submit(token, People.ada)
        expect(over.status).toBe("FAILURE")
        expect(over.error).toMatchObject({ type: "BudgetExceeded" })
        // No step had started: the key is absent, not null.
        expect(over.error).not.toHaveProperty("failed_step")
        expect(String(over.error?.message)).toMatch(
          /^Daily token budget exceeded: \d+ of 1 tokens used today \(UTC\); the job was not run\./
        )
        expect(world.llm.requests.length).toBe(llm)
        expect(world.search.queries.length).toBe(search)
        expect(world.arxiv.accepted().length + world.arxiv.throttled().length).toBe(arxiv)
        expect(world.web.served().length).toBe(pages)

        const usage = (yield* call("GET", "/api/usage", { token })).body as Usage
        expect(usage.today).toMatchObject({ emails_generated: 1, jobs_failed: 1 })
        // another user still has their budget
        const other = yield* newUserToken()
        expect((yield* submit(other, People.ada)).task.status).toBe("SUCCESS")
      })
    )
  })
})
