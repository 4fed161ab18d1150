import { describe, expect, layer } from "@effect/vitest"
import { UserId } from "@scribe/core/Ids"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Repo } from "@scribe/core/store/Repo"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { call, callWithHeaders, layerServer, tokenFor } from "./TestServer"

/** The submission guardrails over HTTP: the active-jobs cap and the per-minute rate, both 429 with `Retry-After`. */
const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.merge(RepoMemory.layer, healthy)

const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"
const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ recipient_name: `Recipient ${i}`, recipient_interest: "graph theory" }))
const generateBody = { email_template: template, recipient_name: "Dr. Ada Lovelace", recipient_interest: "engines" }

const activeJobs = (sub: string) =>
  Effect.gen(function* () {
    const repo = yield* Repo
    const queue = yield* repo.listQueue(UserId.make(sub), new Date(0))
    return queue.filter((e) => e.job.status === "pending" || e.job.status === "processing").length
  }).pipe(Effect.orDie)

layer(Layer.provideMerge(layerServer(stores, { maxActiveJobsPerUser: 5, submissionsPerMinute: 1000 }), stores), {
  excludeTestServices: true
})("active-jobs cap per user", (it) => {
  it.effect("a batch that would cross the cap is 429 with Retry-After and inserts nothing", () =>
    Effect.gen(function* () {
      const sub = crypto.randomUUID()
      const token = yield* tokenFor(sub)
      expect(
        (yield* call("POST", "/api/queue/batch", { token, json: { email_template: template, items: items(4) } })).status
      ).toBe(201)
      const refused = yield* callWithHeaders("POST", "/api/queue/batch", {
        token,
        json: { email_template: template, items: items(2) }
      })
      expect(refused.status).toBe(429)
      expect(refused.body).toEqual({
        detail:
          "Too many active jobs: you have 4 pending or processing and asked for 2 more; the limit is 5 per user. Retry after 60 seconds."
      })
      expect(refused.headers["retry-after"]).toBe("60")
      expect(yield* activeJobs(sub)).toBe(4)
      // exactly up to the cap is fine; then even one more is refused, on generate too
      expect((yield* call("POST", "/api/email/generate", { token, json: generateBody })).status).toBe(202)
      const one = yield* callWithHeaders("POST", "/api/email/generate", { token, json: generateBody })
      expect(one.status).toBe(429)
      expect(one.headers["retry-after"]).toBe("60")
      expect(yield* activeJobs(sub)).toBe(5)
      // another user is not affected
      const other = yield* tokenFor(crypto.randomUUID())
      expect((yield* call("POST", "/api/email/generate", { token: other, json: generateBody })).status).toBe(202)
    })
  )

  it.effect("an idempotent replay at the cap is answered, not refused", () =>
    Effect.gen(function* () {
      const sub = crypto.randomUUID()
      const token = yield* tokenFor(sub)
      const headers = { "idempotency-key": "batch-1" }
      const json = { email_template: template, items: items(5) }
      const first = yield* call("POST", "/api/queue/batch", { token, json, headers })
      expect(first.status).toBe(201)
      const again = yield* call("POST", "/api/queue/batch", { token, json, headers })
      expect(again).toEqual(first)
      expect(yield* activeJobs(sub)).toBe(5)
    })
  )

  it.effect("the contract documents 429 on generate and batch", () =>
    Effect.gen(function* () {
      const spec = (yield* call("GET", "/openapi.json")).body as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
      }
      expect(Object.keys(spec.paths["/api/email/generate"]?.post?.responses ?? {})).toContain("429")
      expect(Object.keys(spec.paths["/api/queue/batch"]?.post?.responses ?? {})).toContain("429")
    })
  )
})

layer(Layer.provideMerge(layerServer(stores, { maxActiveJobsPerUser: 1000, submissionsPerMinute: 3 }), stores), {
  excludeTestServices: true
})("submission rate per user", (it) => {
  it.effect("past the per-minute limit: 429 with Retry-After, nothing inserted; replays and other users pass", () =>
    Effect.gen(function* () {
      const sub = crypto.randomUUID()
      const token = yield* tokenFor(sub)
      const headers = { "idempotency-key": "gen-1" }
      const first = yield* call("POST", "/api/email/generate", { token, json: generateBody, headers })
      expect(first.status).toBe(202)
      expect((yield* call("POST", "/api/email/generate", { token, json: generateBody })).status).toBe(202)
      expect(
        (yield* call("POST", "/api/queue/batch", { token, json: { email_template: template, items: items(2) } })).status
      ).toBe(201)
      const refused = yield* callWithHeaders("POST", "/api/queue/batch", {
        token,
        json: { email_template: template, items: items(2) }
      })
      expect(refused.status).toBe(429)
      expect((refused.body as { detail: string }).detail).toMatch(
        /^Too many submissions: the limit is 3 per minute per user\. Retry after \d+ seconds\.$/
      )
      const retryAfter = Number(refused.headers["retry-after"])
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect((refused.body as { detail: string }).detail).toContain(`Retry after ${retryAfter} seconds.`)
      expect((yield* call("POST", "/api/email/generate", { token, json: generateBody })).status).toBe(429)
      expect(yield* activeJobs(sub)).toBe(4)
      // a replay creates nothing, so the limit does not refuse it
      const replay = yield* call("POST", "/api/email/generate", { token, json: generateBody, headers })
      expect(replay.status).toBe(202)
      expect(replay.body).toEqual(first.body)
      const other = yield* tokenFor(crypto.randomUUID())
      expect((yield* call("POST", "/api/email/generate", { token: other, json: generateBody })).status).toBe(202)
    })
  )
})

describe("GET /api/usage", () => {
  layer(Layer.provideMerge(layerServer(stores), stores), { excludeTestServices: true })("empty", (it) => {
    it.effect("a new user has zero usage; 401 without a token", () =>
      Effect.gen(function* () {
        const token = yield* tokenFor(crypto.randomUUID())
        const today = new Date().toISOString().slice(0, 10)
        const zero = {
          emails_generated: 0,
          jobs_failed: 0,
          prompt_tokens: 0,
          completion_tokens: 0,
          total_tokens: 0,
          cost_usd: 0,
          models: []
        }
        const from = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10)
        for (const path of ["/api/usage", "/api/usage/"]) {
          const reply = yield* call("GET", path, { token })
          expect({ status: reply.status, body: reply.body }).toEqual({
            status: 200,
            body: { today: { day: today, ...zero }, last_30_days: { from, to: today, ...zero } }
          })
        }
        expect((yield* call("GET", "/api/usage")).status).toBe(401)
      })
    )
  })
})
