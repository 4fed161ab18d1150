import { layer } from "@effect/vitest"
import * as People from "@scribe/adapters/testkit/People"
import { pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import * as World from "@scribe/adapters/testkit/World"
import * as PipelineLive from "@scribe/worker/PipelineLive"
import * as Stores from "@scribe/worker/Stores"
import { makeWorkerLayer } from "@scribe/worker/WorkerLive"
import { Effect, Layer } from "effect"
import { describe, expect } from "vitest"
import { call, layerServer, tokenFor } from "./TestServer"

/**
 * Issue 7's usage acceptance end to end: the real API, worker and pipeline on embedded PGlite, the simulated LLM
 * reporting token usage. Prices are configured (USD per 1M tokens), so the cost is checked against them; a daily
 * token budget of 1 token lets each user's first job run and fails the next before any upstream call.
 */
const prices = { prompt: 1.5, completion: 4 }

const App = Layer.unwrapScoped(
  Effect.gen(function* () {
    const world = yield* World.make({ scale: 0.02 })
    world.llm.setScript(pipelineModel())
    const config = Layer.setConfigProvider(
      world.configProvider({
        SCRIBE_DATA_DIR: "memory",
        SCRIBE_WORKER_NAME: "usage-e2e",
        SCRIBE_LLM_PRICES: JSON.stringify({ "gpt-4o-mini": prices }),
        SCRIBE_DAILY_TOKEN_BUDGET_PER_USER: "1"
      })
    )
    const stores = Stores.layerConfig({ requireDatabaseUrl: false }).pipe(Layer.provide(config))
    const worker = makeWorkerLayer(PipelineLive.layerConfig).pipe(Layer.provide(config))
    return Layer.mergeAll(layerServer(stores), worker, Layer.succeed(World.World, world)).pipe(
      Layer.provideMerge(stores)
    )
  })
)

const template =
  "Dear {{name}},\n\nI read {{research}} with great interest and would love to join your group.\n\nBest,\nSam"

type Task = { status: string; result: Record<string, unknown> | null; error: Record<string, unknown> | null }
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

const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

const finished = (token: string, taskId: string) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      const reply = yield* call("GET", `/api/email/status/${taskId}`, { token })
      const task = reply.body as Task
      if (task.status === "SUCCESS" || task.status === "FAILURE") return task
      yield* liveSleep(50)
    }
    throw new Error("task never finished")
  })

const submit = (token: string, person: People.Person) =>
  Effect.gen(function* () {
    const created = yield* call("POST", "/api/email/generate", {
      token,
      json: { email_template: template, recipient_name: person.asTyped, recipient_interest: person.interest }
    })
    expect(created.status).toBe(202)
    return yield* finished(token, (created.body as { task_id: string }).task_id)
  })

layer(App, { timeout: "120 seconds", excludeTestServices: true })("usage and cost end to end", (it) => {
  describe("per email and in /api/usage", () => {
    it.effect("the simulated LLM's tokens are in the email and the caller's usage; cost = tokens × prices", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        const token = yield* tokenFor(`user-${crypto.randomUUID()}`)
        const task = yield* submit(token, People.ada)
        expect(task.status).toBe("SUCCESS")
        const email = yield* call("GET", `/api/email/${String(task.result?.email_id)}`, { token })
        const metadata = (email.body as { metadata: Metadata }).metadata

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
        const token = yield* tokenFor(`user-${crypto.randomUUID()}`)
        expect((yield* submit(token, People.alan)).status).toBe("SUCCESS")
        const llm = world.llm.requests.length
        const search = world.search.queries.length
        const arxiv = world.arxiv.accepted().length + world.arxiv.throttled().length
        const pages = world.web.served().length

        const over = yield* submit(token, People.ada)
        expect(over.status).toBe("FAILURE")
        expect(over.error).toMatchObject({ type: "BudgetExceeded", failed_step: null })
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
        const other = yield* tokenFor(`user-${crypto.randomUUID()}`)
        expect((yield* submit(other, People.ada)).status).toBe("SUCCESS")
      })
    )
  })
})
