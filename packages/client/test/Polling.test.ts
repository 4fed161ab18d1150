import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Option, Stream, TestClock } from "effect"
import * as Polling from "../src/Polling"
import * as ScribeClient from "../src/ScribeClient"
import * as Scripted from "./ScriptedHttpClient"

const taskId = "6f1c0a52-3c1e-4bde-9a55-0c2f5d1e8a01"
const emailId = "0b7e4e0e-8f5a-4a53-a0f4-6b1d1f6f2c11"
const statusRoute = `GET /api/email/status/${taskId}`
const emailRoute = `GET /api/email/${emailId}`

const status = (s: "PENDING" | "STARTED" | "SUCCESS" | "FAILURE"): Scripted.Reply => ({
  status: 200,
  json: {
    task_id: taskId,
    status: s,
    result:
      s === "STARTED"
        ? { current_step: "web_scraper", step_status: "searching", step_timings: { template_parser: 1.5 } }
        : s === "SUCCESS"
          ? { email_id: emailId, generation_time: 9.5, step_timings: { template_parser: 1.5 } }
          : null,
    error: s === "FAILURE" ? { message: "Search is down", type: "UpstreamError", failed_step: "web_scraper" } : null
  }
})

const email: Scripted.Reply = {
  status: 200,
  json: {
    id: emailId,
    user_id: "user-1",
    recipient_name: "Dr. Ada Lovelace",
    recipient_interest: "analytical engines",
    email_message: "Dear Dr. Lovelace, …",
    template_type: "research",
    metadata: {},
    is_confident: true,
    displayed: true,
    created_at: "2026-11-02T10:00:00.000Z"
  }
}

const job = (id: string, jobStatus: string) => ({
  id,
  batch_id: "b5d9f0a4-5c3e-4a8e-9f55-1f2e3d4c5b6a",
  recipient_name: `R ${id}`,
  recipient_interest: "graphs",
  status: jobStatus,
  position: jobStatus === "pending" ? 1 : null,
  current_step: null,
  email_id: null,
  error_message: null,
  attempts: 0,
  created_at: "2026-11-02T10:00:00.000Z",
  started_at: null,
  completed_at: null
})

const retryBase = Duration.seconds(1)
/** Past the longest jittered backoff of the n-th retry (base × 2ⁿ⁻¹ × 1.2). */
const backoff = (n: number) => Duration.millis(Duration.toMillis(retryBase) * 2 ** (n - 1) * 1.2 + 1)

/** The client over a scripted HTTP double, retrying transient failures from 1 s. */
const scripted = (script: Readonly<Record<string, ReadonlyArray<Scripted.Reply>>>) => {
  const http = Scripted.make(script)
  let tokens = 0
  const layer = Layer.effect(
    ScribeClient.ScribeClient,
    ScribeClient.make({
      baseUrl: "https://scribe.test/",
      token: () => Promise.resolve(`token-${++tokens}`),
      retry: { times: 3, base: retryBase }
    })
  ).pipe(Layer.provide(http.layer))
  return { ...http, layer }
}

/** Lets forked fibers run up to their next sleep without moving the clock. */
const settle = TestClock.adjust(Duration.zero)

describe("waitForTask (TestClock)", () => {
  it.effect("a task that finishes on the 4th poll: 4 status requests 2 s apart, then 1 email request", () => {
    const http = scripted({
      [statusRoute]: [status("PENDING"), status("STARTED"), status("STARTED"), status("SUCCESS")],
      [emailRoute]: [email]
    })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Polling.waitForTask(taskId))
      yield* settle
      expect(http.count(statusRoute)).toBe(1)
      for (const expected of [2, 3]) {
        yield* TestClock.adjust("1999 millis")
        expect(http.count(statusRoute)).toBe(expected - 1)
        yield* TestClock.adjust("1 millis")
        expect(http.count(statusRoute)).toBe(expected)
      }
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result.id).toBe(emailId)
      expect(result.created_at).toEqual(new Date("2026-11-02T10:00:00.000Z"))
      expect(http.sent.map((s) => s.route)).toEqual([statusRoute, statusRoute, statusRoute, statusRoute, emailRoute])
      // the token provider is asked before every request
      expect(http.sent.map((s) => s.headers.authorization)).toEqual([1, 2, 3, 4, 5].map((n) => `Bearer token-${n}`))
      yield* TestClock.adjust("1 minute")
      expect(http.sent).toHaveLength(5)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("the interval is configurable and every status reaches onStatus", () => {
    const http = scripted({
      [statusRoute]: [status("PENDING"), status("STARTED"), status("SUCCESS")],
      [emailRoute]: [email]
    })
    const seen: Array<string> = []
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(
        Polling.waitForTask(taskId, {
          interval: "500 millis",
          onStatus: (s) => Effect.sync(() => seen.push(s.status))
        })
      )
      yield* settle
      yield* TestClock.adjust("500 millis")
      expect(http.count(statusRoute)).toBe(2)
      yield* TestClock.adjust("500 millis")
      yield* Fiber.join(fiber)
      expect(seen).toEqual(["PENDING", "STARTED", "SUCCESS"])
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("FAILURE ends polling with TaskFailed naming the failed step", () => {
    const http = scripted({ [statusRoute]: [status("STARTED"), status("FAILURE")] })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.flip(Polling.waitForTask(taskId)))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error).toEqual(
        new Polling.TaskFailed({ taskId, message: "Search is down", type: "UpstreamError", failedStep: "web_scraper" })
      )
      yield* TestClock.adjust("1 minute")
      expect(http.sent).toHaveLength(2)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("interruption (abort) stops polling", () => {
    const http = scripted({ [statusRoute]: [status("PENDING")] })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Polling.waitForTask(taskId))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      expect(http.count(statusRoute)).toBe(2)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("10 minutes")
      expect(http.count(statusRoute)).toBe(2)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("404 stops polling with a typed TaskNotFound carrying the id", () => {
    const http = scripted({
      [statusRoute]: [status("PENDING"), { status: 404, json: { detail: "Task not found" } }, status("SUCCESS")]
    })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.flip(Polling.waitForTask(taskId)))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("TaskNotFound")
      expect(error).toMatchObject({ id: taskId })
      yield* TestClock.adjust("1 minute")
      expect(http.count(statusRoute)).toBe(2)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("401 surfaces at once: one request, no retry, no clock needed", () => {
    const http = scripted({ [statusRoute]: [{ status: 401, json: { detail: "Token has expired" } }] })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(Polling.waitForTask(taskId))
      expect(error._tag).toBe("Unauthenticated")
      expect(error).toMatchObject({ reason: "Token has expired" })
      expect(http.sent).toHaveLength(1)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("a dropped connection is retried with backoff and polling carries on", () => {
    const http = scripted({
      [statusRoute]: [status("PENDING"), { drop: "ECONNRESET" }, status("STARTED"), status("SUCCESS")],
      [emailRoute]: [email]
    })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Polling.waitForTask(taskId))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      expect(http.count(statusRoute)).toBe(2) // dropped
      yield* TestClock.adjust(Duration.millis(799))
      expect(http.count(statusRoute)).toBe(2) // backoff ≥ 0.8 s (1 s jittered)
      yield* TestClock.adjust(backoff(1))
      expect(http.count(statusRoute)).toBe(3) // the retry
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result.id).toBe(emailId)
      expect(http.count(statusRoute)).toBe(4)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("502/503/504 and refused connections are retried; exhausted retries fail as transient", () => {
    const http = scripted({
      [statusRoute]: [
        { status: 502, text: "<html>Bad Gateway</html>" },
        { status: 503, text: "" },
        { status: 504, json: { message: "timeout" } },
        { drop: "ECONNREFUSED" }
      ]
    })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.flip(Polling.waitForTask(taskId)))
      yield* settle
      for (const n of [1, 2, 3]) {
        expect(http.count(statusRoute)).toBe(n)
        yield* TestClock.adjust(backoff(n))
      }
      const error = yield* Fiber.join(fiber)
      expect(http.count(statusRoute)).toBe(4) // 1 attempt + 3 retries
      expect(error).toBeInstanceOf(ScribeClient.ScribeTransportError)
      expect(error).toMatchObject({ reason: "Network" })
      expect(ScribeClient.isTransient(error)).toBe(true)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("a body outside the contract is not retried", () => {
    const http = scripted({ [statusRoute]: [{ status: 200, json: { task_id: taskId, status: "DONE" } }] })
    return Effect.gen(function* () {
      const error = yield* Effect.flip(Polling.waitForTask(taskId))
      expect(error).toMatchObject({ _tag: "ScribeTransportError", reason: "Decode" })
      expect(http.sent).toHaveLength(1)
    }).pipe(Effect.provide(http.layer))
  })
})

describe("generateAndWait", () => {
  const request = {
    email_template: "Dear {{name}}, I loved your work on {{topic}}.",
    recipient_name: "Dr. Ada Lovelace",
    recipient_interest: "analytical engines"
  }

  it.effect("posts once with an Idempotency-Key, then polls the task to its email", () => {
    const http = scripted({
      "POST /api/email/generate": [{ status: 202, json: { task_id: taskId } }],
      [statusRoute]: [status("PENDING"), status("SUCCESS")],
      [emailRoute]: [email]
    })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Polling.generateAndWait(request))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(fiber)).id).toBe(emailId)
      const [post] = http.sent
      expect(post?.body).toEqual(request)
      expect(post?.headers["idempotency-key"]).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      )
      expect(http.sent.map((s) => s.route)).toEqual(["POST /api/email/generate", statusRoute, statusRoute, emailRoute])
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("an invalid request fails with ValidationError before anything is sent", () => {
    const http = scripted({})
    return Effect.gen(function* () {
      const error = yield* Effect.flip(
        Polling.generateAndWait({
          email_template: "no placeholder here",
          recipient_name: "A",
          recipient_interest: "ok"
        })
      )
      expect(error._tag).toBe("ValidationError")
      expect(error).toMatchObject({
        detail: [
          {
            loc: ["body", "email_template"],
            msg: "Value error, Template must contain at least one placeholder like {{name}}",
            type: "value_error"
          },
          { loc: ["body", "recipient_name"], msg: "String should have at least 2 characters", type: "string_too_short" }
        ]
      })
      expect(http.sent).toHaveLength(0)
    }).pipe(Effect.provide(http.layer))
  })
})

describe("submissions", () => {
  const batch = {
    email_template: "Dear {{name}}, I loved your work on {{topic}}.",
    items: [{ recipient_name: "Ada", recipient_interest: "engines" }]
  }
  const accepted: Scripted.Reply = {
    status: 201,
    json: { queue_item_ids: ["a"], message: "Successfully queued 1 item" }
  }

  it.effect("a retried POST reuses its Idempotency-Key; a new submission gets a new one", () => {
    const http = scripted({ "POST /api/queue/batch": [{ drop: "ECONNRESET" }, accepted, accepted] })
    return Effect.gen(function* () {
      const client = yield* ScribeClient.ScribeClient
      const fiber = yield* Effect.fork(client.submitBatch(batch))
      yield* settle
      yield* TestClock.adjust(backoff(1))
      expect(yield* Fiber.join(fiber)).toEqual({ queue_item_ids: ["a"], message: "Successfully queued 1 item" })
      yield* client.submitBatch(batch)
      const keys = http.sent.map((s) => s.headers["idempotency-key"])
      expect(keys).toHaveLength(3)
      expect(keys[1]).toBe(keys[0])
      expect(keys[2]).not.toBe(keys[0])
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("a caller-chosen key is sent as is", () => {
    const http = scripted({ "POST /api/queue/batch": [accepted] })
    return Effect.gen(function* () {
      const client = yield* ScribeClient.ScribeClient
      yield* client.submitBatch(batch, { idempotencyKey: "draft-42" })
      expect(http.sent[0]?.headers["idempotency-key"]).toBe("draft-42")
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("cancel is not retried: a lost answer surfaces instead of a misleading 404", () => {
    const http = scripted({ "DELETE /api/queue/a": [{ drop: "ECONNRESET" }] })
    return Effect.gen(function* () {
      const client = yield* ScribeClient.ScribeClient
      const error = yield* Effect.flip(Polling.cancel("a"))
      expect(error).toMatchObject({ _tag: "ScribeTransportError", reason: "Network" })
      expect(http.sent).toHaveLength(1)
      expect(client).toBeDefined()
    }).pipe(Effect.provide(http.layer))
  })
})

describe("watchBatch (TestClock)", () => {
  it.effect("emits only the batch's items, in request order, until none is pending or processing", () => {
    const http = scripted({
      "GET /api/queue": [
        { status: 200, json: [job("other", "pending"), job("b", "pending"), job("a", "pending")] },
        { status: 200, json: [job("other", "pending"), job("b", "pending"), job("a", "processing")] },
        { status: 200, json: [job("other", "pending"), job("b", "failed"), job("a", "completed")] }
      ]
    })
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(Stream.runCollect(Polling.watchBatch(["a", "b"])))
      yield* settle
      expect(http.sent).toHaveLength(1)
      yield* TestClock.adjust("2 seconds")
      expect(http.sent).toHaveLength(2)
      yield* TestClock.adjust("2 seconds")
      const snapshots = Array.from(yield* Fiber.join(fiber))
      expect(snapshots.map((items) => items.map((i) => `${i.id}:${i.status}`))).toEqual([
        ["a:pending", "b:pending"],
        ["a:processing", "b:pending"],
        ["a:completed", "b:failed"]
      ])
      yield* TestClock.adjust("1 minute")
      expect(http.sent).toHaveLength(3)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("jobs that vanished (cancelled) count as finished", () => {
    const http = scripted({ "GET /api/queue": [{ status: 200, json: [job("other", "pending")] }] })
    return Effect.gen(function* () {
      const snapshots = yield* Stream.runCollect(Polling.watchBatch(["a"]))
      expect(Array.from(snapshots)).toEqual([[]])
      expect(http.sent).toHaveLength(1)
    }).pipe(Effect.provide(http.layer))
  })

  it.effect("submitBatchAndWatch returns the ids and a stream of their snapshots", () => {
    const http = scripted({
      "POST /api/queue/batch": [
        { status: 201, json: { queue_item_ids: ["a"], message: "Successfully queued 1 item" } }
      ],
      "GET /api/queue": [{ status: 200, json: [job("a", "completed")] }]
    })
    return Effect.gen(function* () {
      const { queue_item_ids, snapshots } = yield* Polling.submitBatchAndWatch({
        email_template: "Dear {{name}}, hello there",
        items: [{ recipient_name: "Ada", recipient_interest: "engines" }]
      })
      expect(queue_item_ids).toEqual(["a"])
      const last = yield* Stream.runLast(snapshots)
      expect(Option.map(last, (items) => items.map((i) => i.status))).toEqual(Option.some(["completed"]))
    }).pipe(Effect.provide(http.layer))
  })
})
