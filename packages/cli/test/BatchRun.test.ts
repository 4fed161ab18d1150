import { describe, expect, it } from "@effect/vitest"
import * as ScribeClient from "@scribe/client/ScribeClient"
import { Duration, Effect, Fiber, Layer, Ref, TestClock } from "effect"
import * as Scripted from "../../client/test/ScriptedHttpClient"
import * as Batches from "../src/Batches"
import * as BatchRun from "../src/BatchRun"
import type { LiveOutput } from "../src/LiveOutput"
import type * as ProgressView from "../src/ProgressView"

const recipients = Array.from({ length: 101 }, (_, i) => ({
  row: i + 2,
  name: `Professor ${i + 2}`,
  interest: "topic"
}))
const batches = Batches.split({
  recipients,
  contentHash: "h",
  template: "Dear {{name}}, hello.",
  columns: ["name", "interest"]
})
const firstIds = recipients.slice(0, 100).map((r) => `00000000-0000-4000-8000-${String(r.row).padStart(12, "0")}`)
const lastId = "00000000-0000-4000-8000-999999999999"

const item = (id: string, status: "pending" | "completed", position: number | null = null) => ({
  id,
  batch_id: null,
  recipient_name: "x",
  recipient_interest: "topic",
  status,
  position,
  current_step: null,
  email_id: status === "completed" ? `email-${id}` : null,
  error_message: null,
  attempts: 1,
  created_at: "2026-11-30T09:00:00.000Z",
  started_at: null,
  completed_at: null
})

/** The output, recorded: every view shown and every message. */
const recorder = () => {
  const views: Array<ProgressView.RunView> = []
  const messages: Array<string> = []
  const output: LiveOutput = {
    update: (run) => Effect.sync(() => void views.push(run)),
    message: (line) => Effect.sync(() => void messages.push(line)),
    close: () => Effect.void
  }
  return { output, views, messages }
}

describe("BatchRun.run", () => {
  it.effect(
    "a batch refused with 429 waits for Retry-After while the first is watched, then goes again under its key",
    () =>
      Effect.gen(function* () {
        const http = Scripted.make({
          "POST /api/queue/batch": [
            { status: 201, json: { queue_item_ids: firstIds, message: "Successfully queued 100 items" } },
            {
              status: 429,
              json: {
                detail:
                  "Too many active jobs: you have 100 pending or processing and asked for 1 more; the limit is 100 per user. Retry after 5 seconds."
              }
            },
            { status: 201, json: { queue_item_ids: [lastId], message: "Successfully queued 1 item" } }
          ],
          "GET /api/queue": [
            { status: 200, json: firstIds.map((id, i) => item(id, "pending", i + 1)) },
            { status: 200, json: firstIds.map((id) => item(id, "completed")) },
            { status: 200, json: [...firstIds, lastId].map((id) => item(id, "completed")) }
          ]
        })
        const client = Layer.effect(
          ScribeClient.ScribeClient,
          ScribeClient.make({ baseUrl: "https://scribe.test", token: () => "token", retry: false })
        ).pipe(Layer.provide(http.layer))
        const { output, views, messages } = recorder()
        const state = yield* Ref.make<ProgressView.RunView>({ batches: [], items: new Map() })
        const fiber = yield* Effect.fork(
          BatchRun.run({ batches, template: "Dear {{name}}, hello.", output }, state).pipe(Effect.provide(client))
        )
        yield* TestClock.adjust(Duration.zero)
        // The second batch waits, with a note; the first is polled meanwhile (every 2 s).
        const waiting = yield* Ref.get(state)
        expect(waiting.batches[1]?.ids).toBeUndefined()
        expect(waiting.batches[1]?.note).toMatch(
          /^waiting: the server allows 100 unfinished jobs per user; submitting again at \d\d:\d\d:\d\d$/
        )
        yield* TestClock.adjust(Duration.seconds(2))
        expect(http.count("GET /api/queue")).toBe(2)
        expect(http.count("POST /api/queue/batch")).toBe(2)
        yield* TestClock.adjust(Duration.seconds(3))
        const final = yield* Fiber.join(fiber)
        expect(http.count("POST /api/queue/batch")).toBe(3)
        const keys = http.sent
          .filter((s) => s.route === "POST /api/queue/batch")
          .map((s) => s.headers["idempotency-key"])
        expect(keys).toEqual([batches[0]?.idempotencyKey, batches[1]?.idempotencyKey, batches[1]?.idempotencyKey])
        expect([...final.items.values()].every((i) => i.status === "completed")).toBe(true)
        expect(final.items.get(lastId)?.row).toBe(102)
        expect(messages).toEqual([
          "Batch 1/2 (rows 2–101): submitted, 100 jobs",
          "Batch 2/2 (rows 102–102): submitted, 1 job"
        ])
        expect(views.length).toBeGreaterThan(3)
      })
  )
})
