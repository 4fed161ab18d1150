import { describe, expect, layer } from "@effect/vitest"
import { tempDatabaseUrl } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { type PipelineStep, stepStatus } from "@scribe/core/pipeline/PipelineStep"
import * as ScriptedGenerator from "@scribe/core/testing/GeneratorScripted"
import * as Stores from "@scribe/wiring/Stores"
import { makeWorkerLayer } from "@scribe/wiring/WorkerLive"
import { ConfigProvider, Deferred, Effect, Layer } from "effect"
import { call, layerServer, type Reply, tokenFor } from "./TestServer"

const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"

/** Jobs for these recipients stop inside their step until the test opens their gate. */
const gates = new Map<string, { readonly step: PipelineStep; readonly gate: Deferred.Deferred<void> }>()

const generator = ScriptedGenerator.layer({
  stepMillis: 30,
  during: (job, step) => {
    const gated = gates.get(job.recipientName)
    return gated !== undefined && gated.step === step ? Deferred.await(gated.gate) : Effect.void
  },
  failure: (job) =>
    job.recipientName === "Dr. Fail"
      ? ScriptedGenerator.permanent("the model refused: invalid API key", "arxiv_helper")
      : null
})

/** The production wiring (`Stores`, the worker layer) on a fresh Postgres database, the real API on a real port. */
const stores = Layer.unwrapScoped(
  Effect.map(tempDatabaseUrl, (url) =>
    Stores.layerConfig({ requireDatabaseUrl: true }).pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", url]]))))
    )
  )
)
const worker = makeWorkerLayer(generator).pipe(
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SCRIBE_WORKER_NAME", "status-test"]]))))
)
const app = Layer.mergeAll(layerServer(stores), worker).pipe(Layer.provideMerge(stores))

const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Polls the task's status (real time, bounded) until `accept` holds. */
const pollStatus = (token: string, taskId: string, accept: (body: Record<string, unknown>) => boolean) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 15_000
    let last: Reply = { status: 0, body: null }
    while (Date.now() < deadline) {
      last = yield* call("GET", `/api/email/status/${taskId}`, { token })
      if (last.status === 200 && accept(last.body as Record<string, unknown>))
        return last.body as Record<string, unknown>
      yield* liveSleep(25)
    }
    throw new Error(`status never matched; last: ${JSON.stringify(last)}`)
  })

const submit = (token: string, recipient: string) =>
  Effect.map(
    call("POST", "/api/email/generate", {
      token,
      json: { email_template: template, recipient_name: recipient, recipient_interest: "graph theory" }
    }),
    (reply) => {
      expect(reply.status).toBe(202)
      return (reply.body as { task_id: string }).task_id
    }
  )

const steps: ReadonlyArray<PipelineStep> = ["template_parser", "web_scraper", "arxiv_helper", "email_composer"]

await describePostgres("task status over HTTP while the worker runs", () =>
  layer(app, { timeout: "60 seconds", excludeTestServices: true })(
    "task status over HTTP while the worker runs",
    (it) => {
      describe("GET /api/email/status/{task_id}", () => {
        it.effect(
          "STARTED with the live current_step, then SUCCESS with email_id, generation_time and all four step timings",
          () =>
            Effect.gen(function* () {
              const token = yield* tokenFor(crypto.randomUUID())
              const gate = yield* Deferred.make<void>()
              gates.set("Dr. Gated", { step: "web_scraper", gate })
              const taskId = yield* submit(token, "Dr. Gated")

              const started = yield* pollStatus(
                token,
                taskId,
                (b) => b.status === "STARTED" && (b.result as { current_step?: string }).current_step === "web_scraper"
              )
              expect(started).toMatchObject({
                task_id: taskId,
                status: "STARTED",
                result: { current_step: "web_scraper", step_status: "Searching for professor information…" },
                error: null
              })
              expect(Object.keys((started.result as { step_timings: object }).step_timings)).toEqual([
                "template_parser"
              ])
              const queued = yield* call("GET", "/api/queue/", { token })
              expect(queued.body).toMatchObject([
                { id: taskId, status: "processing", current_step: "web_scraper", attempts: 1 }
              ])

              yield* Deferred.succeed(gate, undefined)
              const success = yield* pollStatus(token, taskId, (b) => b.status === "SUCCESS")
              const result = success.result as { email_id: string; generation_time: number; step_timings: object }
              expect(success.error).toBeNull()
              expect(result.generation_time).toBeGreaterThan(0)
              expect(Object.keys(result.step_timings).sort()).toEqual([...steps].sort())
              const email = yield* call("GET", `/api/email/${result.email_id}`, { token })
              expect(email.status).toBe(200)
              expect(email.body).toMatchObject({ id: result.email_id, recipient_name: "Dr. Gated" })
              expect((email.body as { metadata: object }).metadata).toMatchObject({
                generation_time: result.generation_time,
                step_timings: result.step_timings
              })
            }).pipe(Effect.ensuring(Effect.suspend(() => Deferred.succeed(gates.get("Dr. Gated")!.gate, undefined))))
        )

        it.effect("a job just taken is STARTED at its first step, with its status words, before any progress", () =>
          Effect.gen(function* () {
            const token = yield* tokenFor(crypto.randomUUID())
            const gate = yield* Deferred.make<void>()
            gates.set("Dr. First", { step: "template_parser", gate })
            const taskId = yield* submit(token, "Dr. First")

            // The first answer that is not PENDING: the claim itself recorded the step.
            const started = yield* pollStatus(token, taskId, (b) => b.status !== "PENDING")
            expect(started).toEqual({
              task_id: taskId,
              status: "STARTED",
              result: { current_step: "template_parser", step_status: "Analysing your template…", step_timings: {} },
              error: null
            })
            expect(stepStatus("template_parser")).toBe("Analysing your template…")
            const queued = yield* call("GET", "/api/queue/", { token })
            expect(queued.body).toMatchObject([
              { id: taskId, status: "processing", current_step: "template_parser", position: null, attempts: 1 }
            ])

            yield* Deferred.succeed(gate, undefined)
            expect((yield* pollStatus(token, taskId, (b) => b.status === "SUCCESS")).error).toBeNull()
          }).pipe(Effect.ensuring(Effect.suspend(() => Deferred.succeed(gates.get("Dr. First")!.gate, undefined))))
        )

        it.effect("FAILURE with {message, type, failed_step}", () =>
          Effect.gen(function* () {
            const token = yield* tokenFor(crypto.randomUUID())
            const taskId = yield* submit(token, "Dr. Fail")
            const failure = yield* pollStatus(token, taskId, (b) => b.status === "FAILURE")
            expect(failure).toEqual({
              task_id: taskId,
              status: "FAILURE",
              result: null,
              error: {
                message: "the model refused: invalid API key",
                type: "UpstreamAuth",
                failed_step: "arxiv_helper"
              }
            })
            const queued = yield* call("GET", "/api/queue/", { token })
            expect(queued.body).toMatchObject([
              { id: taskId, status: "failed", attempts: 1, error_message: "the model refused: invalid API key" }
            ])
          })
        )
      })
    }
  )
)
