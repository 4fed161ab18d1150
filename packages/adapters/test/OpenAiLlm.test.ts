import * as Net from "node:net"
import { describe, expect, it, layer } from "@effect/vitest"
import { Llm, type LlmRequest } from "@scribe/core/upstream/Llm"
import { isTransient } from "@scribe/core/upstream/UpstreamError"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Schema, TestClock } from "effect"
import * as Budgets from "../src/upstream/Budgets"
import * as OpenAiLlm from "../src/upstream/OpenAiLlm"
import { Reply, stepHeader } from "../testkit/FakeLlm"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh, World } from "../testkit/World"

/** An adapter on the world's LLM; it lives (and its budget with it) until the test's scope closes. */
const llm = (options: Partial<OpenAiLlm.Options> = {}) =>
  Effect.flatMap(World, (world) =>
    OpenAiLlm.make({
      apiKey: Redacted.make("sk-testkit"),
      baseUrl: world.llm.baseUrl,
      model: "gpt-4o-mini",
      stepModels: { email_composer: "gpt-4o" },
      requestsPerMinute: 100_000,
      tokensPerMinute: 100_000_000,
      ...options
    })
  ).pipe(Effect.provide(Budgets.layerMemory))

/** Real time, whatever the test's clock: for I/O to happen while the Effect clock stands still. */
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

const waitUntil = (condition: () => boolean, timeoutMs = 10_000): Effect.Effect<void> =>
  Effect.suspend(() => {
    const deadline = Date.now() + timeoutMs
    const loop: Effect.Effect<void> = Effect.suspend(() =>
      condition() || Date.now() > deadline ? Effect.void : Effect.zipRight(realSleep(20), loop)
    )
    return loop
  })

const Analysis = Schema.Struct({
  template_type: Schema.Literal("research", "book", "general"),
  placeholders: Schema.Array(Schema.Struct({ name: Schema.String, needs: Schema.String }))
})

const analysisRequest = {
  step: "template_parser",
  system: "You analyse email templates.",
  prompt: "Template: Dear {{name}}, I loved {{paper}}.",
  schema: Analysis,
  schemaName: "TemplateAnalysis"
} as const

const textRequest: LlmRequest = {
  step: "email_composer",
  system: "Write emails.",
  prompt: "Write one.",
  maxTokens: 300
}

const analysis = {
  template_type: "research",
  placeholders: [
    { name: "name", needs: "the recipient's name" },
    { name: "paper", needs: "one of their papers" }
  ]
}

// Declared before the `layer(...)` suites, which swap the shared `it` for one without test services.
describe("OpenAiLlm tokens-per-minute budget", () => {
  it.scoped("waits for tokens before calling, on the Effect clock", () =>
    Effect.gen(function* () {
      const world = yield* WorldModule.make()
      world.llm.setScript(() => Reply.text("ok", { usage: { promptTokens: 10, completionTokens: 10 } }))
      const adapter = yield* OpenAiLlm.make({
        apiKey: Redacted.make("sk-testkit"),
        baseUrl: world.llm.baseUrl,
        model: "gpt-4o-mini",
        requestsPerMinute: 100_000,
        tokensPerMinute: 1200
      }).pipe(Effect.provide(Budgets.layerMemory))
      // Each call reserves ~505 tokens (its prompt plus maxTokens 500): two fit in the minute's 1200, a third waits.
      const request: LlmRequest = { step: "email_composer", system: "s", prompt: "p", maxTokens: 500 }
      const calls = yield* Effect.fork(
        Effect.all(
          [1, 2, 3].map(() => adapter.generateText(request)),
          { concurrency: 1 }
        )
      )
      yield* waitUntil(() => world.llm.calls() === 2)
      yield* realSleep(200)
      expect(world.llm.calls()).toBe(2)
      yield* TestClock.adjust("30 seconds")
      yield* waitUntil(() => world.llm.calls() === 3)
      expect(yield* Fiber.join(calls)).toHaveLength(3)
    })
  )
})

layer(WorldModule.layer(), { excludeTestServices: true })("OpenAiLlm against the world", (it) => {
  it.scoped("generateText: per-step model, messages, step header, token cap, usage", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript(() => Reply.text("Dear Ada, …", { usage: { promptTokens: 42, completionTokens: 7 } }))
      const result = yield* (yield* llm()).generateText(textRequest)
      expect(result).toEqual({ text: "Dear Ada, …", usage: { model: "gpt-4o", promptTokens: 42, completionTokens: 7 } })
      const [request] = world.llm.requests
      expect(request).toMatchObject({
        model: "gpt-4o",
        step: "email_composer",
        system: "Write emails.",
        prompt: "Write one.",
        responseFormat: "text",
        maxTokens: 300,
        apiKey: "sk-testkit"
      })
      expect(world.llm.log.entries[0]!.headers[stepHeader]).toBe("email_composer")
      expect(OpenAiLlm.stepHeader).toBe(stepHeader)
    })
  )

  it.scoped("generateObject: json_schema derived from the Effect schema (strict), decoded into the schema's type", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript((request) =>
        request.schemaName === "TemplateAnalysis" ? Reply.json(analysis) : Reply.badRequest("unexpected")
      )
      const result = yield* (yield* llm()).generateObject(analysisRequest)
      expect(result.value).toEqual(analysis)
      expect(result.usage.model).toBe("gpt-4o-mini")
      expect(result.usage.promptTokens).toBeGreaterThan(0)
      const request = world.llm.requests[0]!
      expect(request.responseFormat).toBe("json_schema")
      const format = (request.body as { response_format: { json_schema: Record<string, unknown> } }).response_format
      expect(format.json_schema).toMatchObject({ name: "TemplateAnalysis", strict: true })
      expect(request.schema).toMatchObject({
        type: "object",
        required: ["template_type", "placeholders"],
        additionalProperties: false
      })
      expect(request.schema).not.toHaveProperty("$schema")
      expect(world.llm.calls("template_parser")).toBe(1)
      expect(world.llm.calls("email_composer")).toBe(0)
    })
  )

  it.scoped("a schema strict mode cannot take is sent non-strict; a non-object schema as json_object", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript((request) =>
        request.responseFormat === "json_object" ? Reply.text('["a","b"]') : Reply.json({ a: "x" })
      )
      const adapter = yield* llm()
      const loose = Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.Number) })
      expect(
        (yield* adapter.generateObject({ ...analysisRequest, schema: loose, schemaName: "Loose thing!" })).value
      ).toEqual({ a: "x" })
      const list = Schema.Array(Schema.String)
      expect((yield* adapter.generateObject({ ...analysisRequest, schema: list, schemaName: "List" })).value).toEqual([
        "a",
        "b"
      ])
      const [first, second] = world.llm.requests
      expect(first!.schemaName).toBe("Loose_thing_")
      expect(
        (first!.body as { response_format: { json_schema: { strict: boolean } } }).response_format.json_schema.strict
      ).toBe(false)
      expect(second!.responseFormat).toBe("json_object")
      expect(second!.system).toContain("JSON Schema")
    })
  )

  it.scoped("tolerates a fenced JSON reply; never returns malformed or mismatching JSON as a value", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const adapter = yield* llm()
      world.llm.setScript(() => Reply.text("```json\n" + JSON.stringify(analysis) + "\n```"))
      expect((yield* adapter.generateObject(analysisRequest)).value).toEqual(analysis)

      const replies = [
        Reply.malformed(),
        Reply.json({ template_type: "poem", placeholders: [] }),
        Reply.text("   "),
        Reply.json(analysis, { finishReason: "length" })
      ]
      for (const reply of replies) {
        world.llm.setScript(() => reply)
        const error = yield* failure(adapter.generateObject(analysisRequest))
        expect(error.kind).toBe("malformed_response")
        expect(isTransient(error.kind)).toBe(true)
      }
      world.llm.setScript(() =>
        Reply.raw(
          200,
          JSON.stringify({
            id: "x",
            object: "chat.completion",
            created: 0,
            model: "m",
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: null, refusal: "I can't help" },
                finish_reason: "stop"
              }
            ]
          }),
          { "content-type": "application/json" }
        )
      )
      expect(yield* failure(adapter.generateObject(analysisRequest))).toMatchObject({ kind: "malformed_response" })
    })
  )

  it.scoped("classifies 429 with Retry-After (seconds, HTTP date, retry-after-ms), quota, auth, 4xx and 5xx", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      const adapter = yield* llm()
      const cases: ReadonlyArray<[ReturnType<typeof Reply.text>, { kind: string; retryAfterMs?: number | null }]> = [
        [Reply.rateLimited({ retryAfterSeconds: 2 }), { kind: "rate_limited", retryAfterMs: 2000 }],
        [
          Reply.rateLimited({ retryAfterSeconds: 20, retryAfterMs: 1500 }),
          { kind: "rate_limited", retryAfterMs: 1500 }
        ],
        [Reply.rateLimited(), { kind: "rate_limited", retryAfterMs: null }],
        [Reply.insufficientQuota(), { kind: "quota", retryAfterMs: null }],
        [Reply.invalidApiKey(), { kind: "auth" }],
        [Reply.badRequest("model not found"), { kind: "invalid_request" }],
        [Reply.serverError(500), { kind: "unavailable" }],
        [Reply.serverError(503), { kind: "unavailable" }]
      ]
      for (const [reply, expected] of cases) {
        world.llm.setScript(() => reply)
        expect(yield* failure(adapter.generateText(textRequest)), JSON.stringify(reply)).toMatchObject(expected)
      }
      world.llm.setScript(() => Reply.rateLimited({ retryAfterDate: new Date(Date.now() + 5000) }))
      const dated = yield* failure(adapter.generateText(textRequest))
      expect(dated.kind).toBe("rate_limited")
      expect(dated.retryAfterMs).toBeGreaterThan(2000)
      expect(dated.retryAfterMs).toBeLessThanOrEqual(5000)
      expect(isTransient("quota")).toBe(false)
      expect(isTransient("auth")).toBe(false)
      // No retries inside the SDK: one request per call.
      expect(world.llm.calls()).toBe(cases.length + 1)
    })
  )

  it.scoped("after a 429 the next call succeeds (the worker's retry)", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript((request) =>
        request.index === 0 ? Reply.rateLimited({ retryAfterMs: 50 }) : Reply.text("ok")
      )
      const adapter = yield* llm()
      const first = yield* Effect.flip(adapter.generateText(textRequest))
      yield* Effect.sleep(first.retryAfterMs ?? 0)
      expect((yield* adapter.generateText(textRequest)).text).toBe("ok")
      expect(world.llm.calls()).toBe(2)
    })
  )

  it.scoped("times out a hanging server, waits out a slow stream within the limit, reports an unreachable one", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript(() => Reply.hang())
      expect(yield* failure((yield* llm({ timeout: "300 millis" })).generateText(textRequest))).toMatchObject({
        kind: "timeout"
      })
      world.llm.setScript(() => Reply.text("slowly", { trickleMs: 400 }))
      expect((yield* (yield* llm({ timeout: "5 seconds" })).generateText(textRequest)).text).toBe("slowly")
      world.llm.setScript(() => Reply.raw(200, "<html>proxy error page</html>", { "content-type": "text/html" }))
      expect(yield* failure((yield* llm()).generateText(textRequest))).toMatchObject({ kind: "malformed_response" })

      const port = yield* Effect.async<number>((resume) => {
        const server = Net.createServer()
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 1)))
        })
      })
      const down = yield* llm({ baseUrl: `http://127.0.0.1:${port}/v1` })
      expect(yield* failure(down.generateText(textRequest))).toMatchObject({ kind: "unavailable" })
    })
  )

  it.scoped("layerConfig: env names, per-step models, budgets, and clear failures", () =>
    Effect.gen(function* () {
      const world = yield* fresh
      world.llm.setScript((request) => Reply.text(request.model))
      const run = (env: Record<string, string>, step: LlmRequest["step"] = "web_scraper") =>
        Effect.flatMap(Llm, (l) => l.generateText({ ...textRequest, step })).pipe(
          Effect.provide(
            OpenAiLlm.layerConfig.pipe(
              Layer.provide(Budgets.layerMemory),
              Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
            )
          )
        )
      const base = { OPENAI_API_KEY: "sk-testkit", OPENAI_BASE_URL: world.llm.baseUrl }
      expect((yield* run(base).pipe(Effect.orDie)).text).toBe("gpt-4o-mini")
      expect((yield* run({ ...base, SCRIBE_LLM_MODEL: "m-default" }).pipe(Effect.orDie)).text).toBe("m-default")
      const perStep = { ...base, SCRIBE_LLM_MODEL: "m-default", SCRIBE_LLM_MODEL_WEB_SCRAPER: "m-scraper" }
      expect((yield* run(perStep).pipe(Effect.orDie)).text).toBe("m-scraper")
      expect((yield* run(perStep, "template_parser").pipe(Effect.orDie)).text).toBe("m-default")
      // A local server needs no key.
      expect((yield* run({ OPENAI_BASE_URL: world.llm.baseUrl }).pipe(Effect.orDie)).text).toBe("gpt-4o-mini")
      expect(world.llm.requests.at(-1)!.apiKey).toBe("not-needed")

      expect(String(yield* Effect.flip(run({})))).toContain("OPENAI_API_KEY")
      expect(String(yield* Effect.flip(run({ ...base, SCRIBE_LLM_RPM: "0" })))).toContain("SCRIBE_LLM_RPM")
      expect(String(yield* Effect.flip(run({ ...base, SCRIBE_LLM_TPM: "lots" })))).toContain("SCRIBE_LLM_TPM")
      expect(String(yield* Effect.flip(run({ ...base, OPENAI_BASE_URL: "localhost:8080" })))).toContain(
        "OPENAI_BASE_URL"
      )
      const configured = (env: Record<string, string>) =>
        OpenAiLlm.isConfigured.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      expect(yield* configured({})).toBe(false)
      expect(yield* configured({ OPENAI_API_KEY: "sk" })).toBe(true)
    })
  )
})

layer(WorldModule.layer({ scale: 0.02, llm: { rpm: 10 } }), { excludeTestServices: true })(
  "OpenAiLlm requests-per-minute budget",
  (it) => {
    it.scoped("the world refuses a burst beyond its RPM; within SCRIBE_LLM_RPM the adapter waits instead", () =>
      Effect.gen(function* () {
        const world = yield* fresh
        world.llm.setScript(() => Reply.text("ok"))
        // The world allows 10 requests per (scaled) minute of 1.2 s.
        const flood = yield* llm({ requestsPerMinute: 100_000 })
        const flooded = yield* Effect.all(
          Array.from({ length: 30 }, () => Effect.either(flood.generateText(textRequest))),
          { concurrency: "unbounded" }
        )
        expect(flooded.filter((r) => r._tag === "Left").length).toBeGreaterThan(0)
        expect(world.llm.requests.some((r) => r.status === 429)).toBe(true)

        yield* Effect.sleep("1500 millis")
        world.reset()
        world.llm.setScript(() => Reply.text("ok"))
        // 180 per minute: one every 350 ms (333 ms and a margin), at most 4 in any 1.2 s.
        const paced = yield* llm({ requestsPerMinute: 180 })
        const results = yield* Effect.all(
          Array.from({ length: 12 }, () => paced.generateText(textRequest)),
          { concurrency: "unbounded" }
        )
        expect(results).toHaveLength(12)
        expect(world.llm.requests.filter((r) => r.status === 429)).toHaveLength(0)
        const times = world.llm.log.entries.map((e) => e.at)
        expect(times[11]! - times[0]!).toBeGreaterThanOrEqual(2500)
      })
    )
  }
)
