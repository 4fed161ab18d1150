import { layer } from "@effect/vitest"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Telemetry from "@scribe/adapters/ops/Telemetry"
import * as People from "@scribe/adapters/testkit/People"
import { Effect, Layer } from "effect"
import { describe, expect } from "vitest"
import { emailOf, eventually, layerApp, newUserToken, submit, template } from "./EndToEnd"
import * as PrometheusText from "./PrometheusText"
import { call } from "./TestServer"

/**
 * The span tree of one generated email (request → job attempt → four steps → upstream
 * calls) from an in-memory exporter, and `/metrics` moving as jobs run. The real API on a real port, the real worker
 * and pipeline on embedded PGlite, every upstream a local server of the simulated world.
 */
const exporter = new InMemorySpanExporter()
const apiKey = "sk-testkit-observability-0123456789"

const App = layerApp({
  world: { llm: { apiKey } },
  env: { SCRIBE_WORKER_NAME: "observability" }
}).pipe(
  Layer.provide(Telemetry.layerTracing({ serviceName: "scribe-test", processor: new SimpleSpanProcessor(exporter) }))
)

/** Submits one email and waits for its task to succeed; the task id, token and the email. */
const generate = (person: People.Person) =>
  Effect.gen(function* () {
    const token = yield* newUserToken()
    const { taskId, task } = yield* submit(token, person)
    expect(task.status).toBe("SUCCESS")
    const email = yield* emailOf<{ email_message: string }>(token, task)
    return { taskId, token, task, message: email.email_message }
  })

// ---------------------------------------------------------------------------------------------------------------
// Spans

const nanos = (time: readonly [number, number]) => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])
const start = (span: ReadableSpan) => nanos(span.startTime)
const end = (span: ReadableSpan) => nanos(span.endTime)

const parentOf = (spans: ReadonlyArray<ReadableSpan>, span: ReadableSpan) =>
  spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId)

const ancestors = (spans: ReadonlyArray<ReadableSpan>, span: ReadableSpan): Array<ReadableSpan> => {
  const chain: Array<ReadableSpan> = []
  for (let p = parentOf(spans, span); p !== undefined; p = parentOf(spans, p)) chain.push(p)
  return chain
}

const isUnder = (spans: ReadonlyArray<ReadableSpan>, span: ReadableSpan, ancestor: ReadableSpan) =>
  ancestors(spans, span).includes(ancestor)

const one = (spans: ReadonlyArray<ReadableSpan>, predicate: (s: ReadableSpan) => boolean, what: string) => {
  const found = spans.filter(predicate)
  expect(found.length, what).toBe(1)
  return found[0]!
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics

const scrape = Effect.gen(function* () {
  const reply = yield* call("GET", "/metrics")
  expect(reply.status).toBe(200)
  expect(typeof reply.body).toBe("string")
  return PrometheusText.parse(reply.body as string)
})

layer(App, { timeout: "120 seconds", excludeTestServices: true })("observability end to end", (it) => {
  describe("traces", () => {
    it.effect("one email: request → job attempt → four steps → upstream calls, nested in time, no content", () =>
      Effect.gen(function* () {
        exporter.reset()
        const { message, taskId, task, token } = yield* generate(People.ada)
        const attemptOf = (spans: ReadonlyArray<ReadableSpan>) =>
          spans.find((s) => s.name === "Worker.run" && s.attributes["job.id"] === taskId)
        yield* eventually(
          "the attempt span to end",
          Effect.sync(() => attemptOf(exporter.getFinishedSpans()))
        )
        const spans = exporter.getFinishedSpans()

        // The request that submitted the job, and the attempt that ran it later: one trace, the attempt below it.
        const request = one(
          spans,
          (s) => s.name === "http.server POST" && s.attributes["url.path"] === "/api/email/generate",
          "one submit request span"
        )
        const attempt = one(spans, (s) => s.name === "Worker.run" && s.attributes["job.id"] === taskId, "one attempt")
        expect(attempt.spanContext().traceId).toBe(request.spanContext().traceId)
        expect(isUnder(spans, attempt, request)).toBe(true)
        expect(attempt.attributes["user.id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        expect(attempt.attributes["job.attempt"]).toBe(1)
        expect(start(attempt)).toBeGreaterThanOrEqual(start(request))

        // The four steps, each under the attempt; the research steps start with the parser (they do not wait for the
        // analysis), the composer after all three.
        const step = (name: string) =>
          one(spans, (s) => s.name === `Pipeline.${name}` && isUnder(spans, s, attempt), `step ${name}`)
        const parser = step("template_parser")
        const web = step("web_scraper")
        const arxiv = step("arxiv_helper")
        const composer = step("email_composer")
        for (const s of [parser, web, arxiv, composer]) expect(s.attributes["pipeline.step"]).toBe(s.name.slice(9))
        expect(start(web)).toBeLessThan(end(parser))
        expect(start(arxiv)).toBeLessThan(end(parser))
        expect(start(composer)).toBeGreaterThanOrEqual(end(parser))
        expect(start(composer)).toBeGreaterThanOrEqual(end(web))
        expect(start(composer)).toBeGreaterThanOrEqual(end(arxiv))
        // Each step span covers the time the task reports for it.
        const timings = task.result?.step_timings as Record<string, number>
        for (const s of [parser, web, arxiv, composer]) {
          const seconds = Number(end(s) - start(s)) / 1e9
          expect(seconds).toBeGreaterThanOrEqual(timings[s.name.slice(9)]! - 0.002)
        }

        // Upstream calls, each under its step, named and attributed.
        const under = (parent: ReadableSpan, name: string) =>
          spans.filter((s) => s.name === name && isUnder(spans, s, parent))
        const llmCalls = under(composer, "OpenAiLlm.generateObject")
        expect(llmCalls.length).toBeGreaterThanOrEqual(1)
        for (const s of llmCalls) {
          expect(s.attributes).toMatchObject({ upstream: "llm", "upstream.outcome": "ok", step: "email_composer" })
          expect(typeof s.attributes.model).toBe("string")
          expect(s.attributes["llm.completion_tokens"]).toBeGreaterThan(0)
        }
        expect(under(parser, "OpenAiLlm.generateObject").length).toBeGreaterThanOrEqual(1)
        // The scholarly lookup: OpenAlex knows Ada (an author search, then her works), so arXiv is not asked.
        const openalexCalls = under(arxiv, "OpenAlex.request")
        expect(openalexCalls.length).toBe(2)
        for (const s of openalexCalls) {
          expect(s.attributes).toMatchObject({ upstream: "openalex", "upstream.outcome": "ok" })
          expect(under(s, "http.client GET").length).toBeGreaterThanOrEqual(1)
        }
        expect(under(arxiv, "ArxivApi.searchByAuthor")).toEqual([])
        const searches = under(web, "SearxngSearch.search")
        expect(searches.length).toBeGreaterThanOrEqual(1)
        for (const s of searches) expect(s.attributes.upstream).toBe("search")
        const pages = under(web, "SafeScraper.fetchPage")
        expect(pages.length).toBeGreaterThanOrEqual(1)
        for (const s of pages) expect(s.attributes).toMatchObject({ upstream: "page", "upstream.outcome": "ok" })

        // Timings add up: below the request and below the attempt, every span lies within its parent's interval.
        const tree = spans.filter((s) => s === request || isUnder(spans, s, request))
        for (const s of tree) {
          const parent = parentOf(spans, s)
          if (parent === undefined || s === attempt) continue // the attempt runs after the request, by design
          if (!tree.includes(parent)) continue
          expect(start(s), `${s.name} starts within ${parent.name}`).toBeGreaterThanOrEqual(start(parent))
          expect(end(s), `${s.name} ends within ${parent.name}`).toBeLessThanOrEqual(end(parent))
        }

        // No content in any attribute: not the email, the template, a page's text, the API key or the user's token.
        const forbidden = [
          message,
          ...message.split("\n").filter((line) => line.trim().length >= 20),
          template,
          ...template.split("\n").filter((line) => line.trim().length >= 20),
          "Professor of Computing, Department of Computing",
          "symbolic computation and the analytical engine",
          "Programs for the Bernoulli numbers",
          apiKey,
          token
        ]
        const values = spans.flatMap((s) =>
          Object.entries(s.attributes).map(([key, v]) => ({ span: s.name, key, value: String(v) }))
        )
        expect(values.length).toBeGreaterThan(0)
        for (const { key, span, value } of values) {
          for (const text of forbidden) {
            expect(value.includes(text.trim()), `${span} ${key} carries content`).toBe(false)
          }
        }
      })
    )
  })

  describe("metrics", () => {
    it.effect("GET /metrics parses as Prometheus text and moves as jobs run", () =>
      Effect.gen(function* () {
        const n = 2
        const before = yield* scrape
        for (let i = 0; i < n; i++) yield* generate(People.ada)
        // The attempt counters are recorded right after the job is stored: wait for the last one.
        const after = yield* eventually(
          "the attempts to be counted",
          Effect.map(scrape, (families) =>
            PrometheusText.sampleSum(families, "scribe_job_attempts_total", { outcome: "completed" }) -
              PrometheusText.sampleSum(before, "scribe_job_attempts_total", { outcome: "completed" }) >=
            n
              ? families
              : undefined
          )
        )
        const value = PrometheusText.sampleSum
        const delta = (name: string, labels: Record<string, string> = {}) =>
          value(after, name, labels) - value(before, name, labels)
        const countDelta = (name: string, labels: Record<string, string> = {}) => delta(`${name}_count`, labels)

        const types = new Map(after.map((f) => [f.name, f.type]))
        expect(types.get("scribe_jobs")).toBe("gauge")
        expect(types.get("scribe_jobs_finished_total")).toBe("counter")
        expect(types.get("scribe_pipeline_step_duration_seconds")).toBe("histogram")
        expect(types.get("scribe_job_duration_seconds")).toBe("histogram")

        expect(delta("scribe_jobs", { status: "completed" })).toBe(n)
        expect(value(after, "scribe_jobs", { status: "pending" })).toBe(0)
        expect(value(after, "scribe_queue_depth")).toBe(0)
        expect(value(after, "scribe_queue_oldest_pending_age_seconds")).toBe(0)
        expect(delta("scribe_jobs_finished_total", { status: "completed" })).toBe(n)
        expect(delta("scribe_job_attempts_total", { outcome: "completed" })).toBe(n)
        expect(countDelta("scribe_job_duration_seconds", { status: "completed" })).toBe(n)
        for (const step of ["template_parser", "web_scraper", "arxiv_helper", "email_composer"]) {
          expect(countDelta("scribe_pipeline_step_duration_seconds", { step })).toBe(n)
        }
        // Per email: at least one search and one page, at least two LLM calls (facts, draft); the scholarly lookup
        // at most once (the author cache answers after it), from OpenAlex, which knows Ada, so never arXiv.
        expect(delta("scribe_upstream_calls_total", { upstream: "openalex", outcome: "ok" })).toBeLessThanOrEqual(2)
        expect(delta("scribe_upstream_calls_total", { upstream: "arxiv", outcome: "ok" })).toBe(0)
        expect(delta("scribe_upstream_calls_total", { upstream: "search", outcome: "ok" })).toBeGreaterThanOrEqual(n)
        expect(delta("scribe_upstream_calls_total", { upstream: "page", outcome: "ok" })).toBeGreaterThanOrEqual(n)
        expect(delta("scribe_upstream_calls_total", { upstream: "llm", outcome: "ok" })).toBeGreaterThanOrEqual(2 * n)
        expect(delta("scribe_upstream_rate_limited_total")).toBe(0)
        expect(delta("scribe_job_retries_total")).toBe(0)
        expect(types.get("scribe_llm_tokens_total")).toBe("counter")
        const models = new Set(
          after.find((f) => f.name === "scribe_llm_tokens_total")?.samples.map((m) => m.labels.model)
        )
        expect(models.size).toBeGreaterThan(0)
        expect(delta("scribe_llm_tokens_total", { type: "prompt" })).toBeGreaterThan(0)
        expect(delta("scribe_llm_tokens_total", { type: "completion" })).toBeGreaterThan(0)
      })
    )
  })
})
