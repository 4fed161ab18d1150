import type { HttpClient } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import type * as Jobs from "@scribe/adapters/testkit/Jobs"
import { openApiDocument } from "@scribe/client/ScribeApi"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Repo } from "@scribe/core/store/Repo"
import { Context, Duration, Effect, Layer, Option, TestClock, TestContext } from "effect"
import { call, layerServer, tokenFor } from "./TestServer"

const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"
const newUser = () => crypto.randomUUID()
const item = (recipient_name: string) => ({ recipient_name, recipient_interest: "graph theory" })

type Detail = { readonly detail: ReadonlyArray<{ loc: ReadonlyArray<string | number>; msg: string; type: string }> }
const locs = (body: unknown) => (body as Detail).detail.map((d) => d.loc)

/** A fresh token for a fresh user. */
const signIn = Effect.suspend(() => tokenFor(newUser()))

/**
 * The stores' lease side (`JobLeases` on SQL, `MemoryLeases` in memory), through which these tests play the worker
 * that takes and ends jobs.
 */
export class StoreLeases extends Context.Tag("test/ApiSuite/StoreLeases")<StoreLeases, Jobs.StoreLeases>() {}

/** Moves the first job in line to `processing`, as a worker would. */
const claimNext = Effect.gen(function* () {
  const leases = yield* StoreLeases
  const now = new Date()
  return Option.getOrThrow(
    yield* leases.claimNext({ workerId: "test", now, leaseUntil: new Date(now.getTime() + 60_000) })
  )
}).pipe(Effect.orDie)

/** The HTTP contract (docs/design.md) end to end over a real port, on the given stores. */
export const suite = <E>(name: string, stores: Layer.Layer<Repo | HealthProbe | StoreLeases, E>) =>
  layer(Layer.provideMerge(layerServer(stores), stores), { timeout: "120 seconds", excludeTestServices: true })(
    name,
    (it) => {
      describe("public routes", () => {
        it.effect("health reports the database and no Redis", () =>
          Effect.gen(function* () {
            const health = yield* call("GET", "/health")
            expect(health).toEqual({
              status: 200,
              body: { status: "healthy", database: "ok", redis: "not_configured" }
            })
          })
        )
        it.effect("serves the OpenAPI document and the docs UI without a token", () =>
          Effect.gen(function* () {
            const spec = yield* call("GET", "/openapi.json")
            expect(spec.status).toBe(200)
            expect(Object.keys((spec.body as { paths: object }).paths)).toEqual(
              expect.arrayContaining(["/api/email/generate", "/api/queue/batch", "/api/queue/{queue_item_id}"])
            )
            // the document the docs generator writes is the one served
            expect(spec.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())))
            expect(JSON.stringify(spec.body)).not.toContain("HttpApiDecodeError")
            expect((yield* call("GET", "/docs")).status).toBe(200)
          })
        )
        it.effect("unknown routes are 404 with a detail", () =>
          Effect.gen(function* () {
            expect(yield* call("GET", "/api/nope")).toEqual({ status: 404, body: { detail: "Not Found" } })
          })
        )
      })

      describe("POST /api/email/generate", () => {
        it.effect("queues a task (202) that polls as PENDING and shows in the queue", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            const created = yield* call("POST", "/api/email/generate", {
              token,
              json: { email_template: template, recipient_name: "Dr. Ada Lovelace", recipient_interest: "engines" }
            })
            expect(created.status).toBe(202)
            const taskId = (created.body as { task_id: string }).task_id
            expect(yield* call("GET", `/api/email/status/${taskId}`, { token })).toEqual({
              status: 200,
              body: { task_id: taskId, status: "PENDING", result: null, error: null }
            })
            const queue = yield* call("GET", "/api/queue/", { token })
            expect(queue.status).toBe(200)
            expect(queue.body).toMatchObject([{ id: taskId, status: "pending", recipient_name: "Dr. Ada Lovelace" }])
          })
        )
        it.effect("a template without a placeholder is 422 at body.email_template", () =>
          Effect.gen(function* () {
            const reply = yield* call("POST", "/api/email/generate", {
              token: yield* signIn,
              json: { email_template: "Dear professor, hello there", recipient_name: "Ada", recipient_interest: "x" }
            })
            expect(reply.status).toBe(422)
            // every violated field is reported: the template and the 1-character interest
            expect(locs(reply.body)).toEqual([
              ["body", "email_template"],
              ["body", "recipient_interest"]
            ])
            expect((reply.body as Detail).detail[1]).toEqual({
              loc: ["body", "recipient_interest"],
              msg: "String should have at least 2 characters",
              type: "string_too_short"
            })
          })
        )
        it.effect("missing fields, wrong types and malformed JSON are 422", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            const missing = yield* call("POST", "/api/email/generate", { token, json: { recipient_name: "Ada" } })
            expect(missing.status).toBe(422)
            expect((missing.body as Detail).detail).toEqual([
              { loc: ["body", "email_template"], msg: "Field required", type: "missing" },
              { loc: ["body", "recipient_interest"], msg: "Field required", type: "missing" }
            ])
            const wrongType = yield* call("POST", "/api/email/generate", {
              token,
              json: { email_template: template, recipient_name: 42, recipient_interest: "x y" }
            })
            expect((wrongType.body as Detail).detail).toEqual([
              { loc: ["body", "recipient_name"], msg: "Input should be a valid string", type: "string_type" }
            ])
            const malformed = yield* call("POST", "/api/email/generate", { token, raw: '{"email_template": ' })
            expect(malformed.status).toBe(422)
            expect((malformed.body as Detail).detail[0]?.type).toBe("json_invalid")
            const longKey = yield* call("POST", "/api/email/generate", {
              token,
              json: { email_template: template, recipient_name: "Ada", recipient_interest: "engines" },
              headers: { "idempotency-key": "k".repeat(256) }
            })
            expect(longKey.status).toBe(422)
            expect(locs(longKey.body)).toEqual([["header", "idempotency-key"]])
            const notObject = yield* call("POST", "/api/email/generate", { token, json: [1, 2] })
            expect(notObject.status).toBe(422)
            expect(locs(notObject.body)).toEqual([["body"]])
          })
        )
      })

      describe("task status", () => {
        it.effect("unknown, malformed and other users' task ids are 404", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            const created = yield* call("POST", "/api/email/generate", {
              token,
              json: { email_template: template, recipient_name: "Ada", recipient_interest: "engines" }
            })
            const taskId = (created.body as { task_id: string }).task_id
            const other = yield* signIn
            for (const id of [taskId, crypto.randomUUID(), "not-a-task"]) {
              expect(yield* call("GET", `/api/email/status/${id}`, { token: other })).toEqual({
                status: 404,
                body: { detail: "Task not found" }
              })
            }
          })
        )
      })

      describe("emails", () => {
        it.effect("lists (both spellings), validates paging, and 400/404s single emails", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            expect(yield* call("GET", "/api/email/", { token })).toEqual({ status: 200, body: [] })
            expect(yield* call("GET", "/api/email?limit=100&offset=5&include_discarded=true", { token })).toEqual({
              status: 200,
              body: []
            })
            for (const query of ["limit=0", "limit=101", "limit=abc", "limit=2.5"]) {
              const reply = yield* call("GET", `/api/email/?${query}`, { token })
              expect(reply.status).toBe(422)
              expect(locs(reply.body)).toEqual([["query", "limit"]])
            }
            const both = yield* call("GET", "/api/email/?offset=-1&include_discarded=maybe", { token })
            expect(locs(both.body)).toEqual([
              ["query", "offset"],
              ["query", "include_discarded"]
            ])
            expect(yield* call("GET", "/api/email/not-a-uuid", { token })).toEqual({
              status: 400,
              body: { detail: "Invalid email ID format: badly formed hexadecimal UUID string" }
            })
            const notFound = { detail: "Email not found or you don't have permission to access it" }
            expect(yield* call("GET", `/api/email/${crypto.randomUUID()}`, { token })).toEqual({
              status: 404,
              body: notFound
            })
            expect(
              yield* call("PATCH", `/api/email/${crypto.randomUUID()}`, { token, json: { displayed: false } })
            ).toEqual({ status: 404, body: notFound })
            expect((yield* call("PATCH", "/api/email/xyz", { token, json: { displayed: false } })).status).toBe(400)
            const badPatch = yield* call("PATCH", `/api/email/${crypto.randomUUID()}`, {
              token,
              json: { displayed: "x" }
            })
            expect(badPatch.status).toBe(422)
            expect(locs(badPatch.body)).toEqual([["body", "displayed"]])
          })
        )
      })

      describe("batch queue", () => {
        it.effect("queues items in request order with positions; both list spellings answer", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            const reply = yield* call("POST", "/api/queue/batch", {
              token,
              json: { email_template: template, items: [item("First"), item("Second"), item("Third")] }
            })
            expect(reply.status).toBe(201)
            const { queue_item_ids: ids, message } = reply.body as { queue_item_ids: Array<string>; message: string }
            expect(ids).toHaveLength(3)
            expect(message).toContain("3")
            for (const path of ["/api/queue", "/api/queue/"]) {
              const listed = yield* call("GET", path, { token })
              expect(listed.status).toBe(200)
              const rows = listed.body as Array<{
                id: string
                recipient_name: string
                position: number
                status: string
              }>
              expect(rows.map((r) => r.id)).toEqual(ids)
              expect(rows.map((r) => r.recipient_name)).toEqual(["First", "Second", "Third"])
              const [p1, p2, p3] = rows.map((r) => r.position)
              expect(p2).toBe(p1! + 1)
              expect(p3).toBe(p2! + 1)
            }
          })
        )
        it.effect("0 and 101 items are 400; item field errors are 422 with their index", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            expect(
              yield* call("POST", "/api/queue/batch", {
                token,
                json: { email_template: template, items: Array.from({ length: 101 }, (_, i) => item(`R${i}`)) }
              })
            ).toEqual({ status: 400, body: { detail: "Maximum 100 items per batch" } })
            const empty = yield* call("POST", "/api/queue/batch", {
              token,
              json: { email_template: template, items: [] }
            })
            expect(empty.status).toBe(400)
            expect(typeof (empty.body as { detail: unknown }).detail).toBe("string")
            const fieldErrors = yield* call("POST", "/api/queue/batch", {
              token,
              json: {
                email_template: template,
                items: [{ recipient_name: "A", recipient_interest: "ok ok" }, item("Fine"), { recipient_name: "Bo" }]
              }
            })
            expect(fieldErrors.status).toBe(422)
            expect(locs(fieldErrors.body)).toEqual([
              ["body", "items", 0, "recipient_name"],
              ["body", "items", 2, "recipient_interest"]
            ])
            expect(yield* call("GET", "/api/queue/", { token })).toEqual({ status: 200, body: [] })
          })
        )
        it.effect("cancel: pending → gone; processing → 400; bad id → 400; unknown → 404", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            const reply = yield* call("POST", "/api/queue/batch", {
              token,
              json: { email_template: template, items: [item("Keep"), item("Drop")] }
            })
            const [keep, drop] = (reply.body as { queue_item_ids: Array<string> }).queue_item_ids
            expect(yield* call("DELETE", `/api/queue/${drop}`, { token })).toEqual({
              status: 200,
              body: { message: "Queue item cancelled" }
            })
            expect(yield* call("DELETE", `/api/queue/${drop}`, { token })).toEqual({
              status: 404,
              body: { detail: "Queue item not found" }
            })
            expect(yield* call("DELETE", "/api/queue/12345", { token })).toEqual({
              status: 400,
              body: { detail: "Invalid queue item ID format: badly formed hexadecimal UUID string" }
            })
            // drain the line up to our job, as a worker would
            let claimed = yield* claimNext
            while (claimed.id !== keep) claimed = yield* claimNext
            expect(yield* call("DELETE", `/api/queue/${keep}`, { token })).toEqual({
              status: 400,
              body: { detail: "Cannot cancel item with status 'processing'" }
            })
            const listed = yield* call("GET", "/api/queue/", { token })
            expect(listed.body).toMatchObject([{ id: keep, status: "processing", position: null }])
          })
        )
      })

      describe("Idempotency-Key", () => {
        it.effect("a retried submission with the same key creates nothing new; another request with it is 409", () =>
          Effect.gen(function* () {
            const token = yield* signIn
            const key = { "idempotency-key": `key-${crypto.randomUUID()}` }
            const body = { email_template: template, recipient_name: "Ada", recipient_interest: "engines" }
            const first = yield* call("POST", "/api/email/generate", { token, json: body, headers: key })
            const again = yield* call("POST", "/api/email/generate", { token, json: body, headers: key })
            expect(first.status).toBe(202)
            expect(again).toEqual(first)
            expect((yield* call("GET", "/api/queue/", { token })).body).toHaveLength(1)

            const reused = yield* call("POST", "/api/email/generate", {
              token,
              json: { ...body, recipient_name: "Grace" },
              headers: key
            })
            expect(reused.status).toBe(409)
            expect(typeof (reused.body as { detail: unknown }).detail).toBe("string")
            const crossRoute = yield* call("POST", "/api/queue/batch", {
              token,
              json: { email_template: template, items: [item("Ada")] },
              headers: key
            })
            expect(crossRoute.status).toBe(409)

            const batchKey = { "idempotency-key": `batch-${crypto.randomUUID()}` }
            const batch = { email_template: template, items: [item("One"), item("Two")] }
            const b1 = yield* call("POST", "/api/queue/batch", { token, json: batch, headers: batchKey })
            const b2 = yield* call("POST", "/api/queue/batch", { token, json: batch, headers: batchKey })
            expect(b1.status).toBe(201)
            expect(b2).toEqual(b1)
            expect((yield* call("GET", "/api/queue/", { token })).body).toHaveLength(3)

            // keys are per user: another user's identical key is theirs alone
            const other = yield* signIn
            const theirs = yield* call("POST", "/api/queue/batch", { token: other, json: batch, headers: batchKey })
            expect(theirs.status).toBe(201)
            expect(theirs.body).not.toEqual(b1.body)
          })
        )
      })

      describe("isolation", () => {
        it.effect("user B never sees or touches user A's work", () =>
          Effect.gen(function* () {
            const a = yield* signIn
            const b = yield* signIn
            const batch = yield* call("POST", "/api/queue/batch", {
              token: a,
              json: { email_template: template, items: [item("A1")] }
            })
            const [jobId] = (batch.body as { queue_item_ids: Array<string> }).queue_item_ids
            expect((yield* call("GET", "/api/queue/", { token: b })).body).toEqual([])
            expect((yield* call("GET", `/api/email/status/${jobId}`, { token: b })).status).toBe(404)
            expect((yield* call("DELETE", `/api/queue/${jobId}`, { token: b })).status).toBe(404)
            expect((yield* call("GET", "/api/queue/", { token: a })).body).toMatchObject([{ id: jobId }])
          })
        )
      })

      describe("authentication", () => {
        it.effect("every protected route is 401 with a detail without a valid token, even for bad input", () =>
          Effect.gen(function* () {
            const routes = [
              ["POST", "/api/email/generate"],
              ["GET", `/api/email/status/${crypto.randomUUID()}`],
              ["GET", "/api/email/"],
              ["GET", "/api/email/not-a-uuid"],
              ["PATCH", `/api/email/${crypto.randomUUID()}`],
              ["POST", "/api/queue/batch"],
              ["GET", "/api/queue/"],
              ["DELETE", "/api/queue/bad"]
            ] as const
            for (const [method, path] of routes) {
              const reply = yield* call(method, path, { json: { nonsense: true } })
              expect(reply.status, `${method} ${path}`).toBe(401)
              expect(typeof (reply.body as { detail: unknown }).detail).toBe("string")
            }
          })
        )
        it.effect("refuses malformed, forged, expired and non-user tokens", () =>
          Effect.gen(function* () {
            const good = yield* tokenFor(crypto.randomUUID())
            const now = Math.floor(Date.now() / 1000)
            const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")
            const payload = Buffer.from(
              JSON.stringify({ sub: crypto.randomUUID(), aud: "authenticated", role: "authenticated", exp: now + 600 })
            ).toString("base64url")
            const cases: ReadonlyArray<readonly [string, string | undefined]> = [
              ["no header", undefined],
              ["non-Bearer scheme", `Basic ${good}`],
              ["Bearer without token", "Bearer "],
              ["garbage", "Bearer not.a.jwt"],
              ["alg none", `Bearer ${header}.${payload}.`],
              ["expired", `Bearer ${yield* tokenFor(crypto.randomUUID(), { exp: now - 3600 })}`],
              ["missing sub", `Bearer ${yield* tokenFor(crypto.randomUUID(), { sub: undefined })}`],
              ["wrong aud", `Bearer ${yield* tokenFor(crypto.randomUUID(), { aud: "other" })}`],
              ["role not authenticated", `Bearer ${yield* tokenFor(crypto.randomUUID(), { role: "service_role" })}`],
              [
                "anon key",
                `Bearer ${yield* tokenFor(crypto.randomUUID(), { sub: undefined, role: "anon", email: undefined })}`
              ]
            ]
            for (const [label, authorization] of cases) {
              const reply = yield* call("GET", "/api/queue/", authorization === undefined ? {} : { authorization })
              expect(reply.status, label).toBe(401)
              expect(typeof (reply.body as { detail: unknown }).detail, label).toBe("string")
            }
            expect((yield* call("GET", "/api/queue/", { authorization: `bearer ${good}` })).status).toBe(200)
          })
        )
      })

      describe("time windows (TestClock)", () => {
        /** A server built inside the test, so its handlers read the test's clock. */
        const withClockServer = <A, E2>(body: Effect.Effect<A, E2, HttpClient.HttpClient | Repo | StoreLeases>) =>
          Effect.gen(function* () {
            const repo = yield* Repo
            const probe = yield* HealthProbe
            const stores = Layer.mergeAll(Layer.succeed(Repo, repo), Layer.succeed(HealthProbe, probe))
            return yield* Effect.provide(body, layerServer(stores)).pipe(Effect.provide(TestContext.TestContext))
          })

        it.effect("the queue listing shows 24 hours; a task finished over an hour ago is 404", () =>
          withClockServer(
            Effect.gen(function* () {
              yield* TestClock.setTime(Date.now())
              const token = yield* tokenFor(newUser(), { exp: Math.floor(Date.now() / 1000) + 7 * 86_400 })
              const old = yield* call("POST", "/api/queue/batch", {
                token,
                json: { email_template: template, items: [item("Old")] }
              })
              yield* TestClock.adjust(Duration.hours(23))
              yield* call("POST", "/api/queue/batch", {
                token,
                json: { email_template: template, items: [item("New")] }
              })
              const names = (reply: { body: unknown }) =>
                (reply.body as Array<{ recipient_name: string }>).map((r) => r.recipient_name)
              expect(names(yield* call("GET", "/api/queue/", { token }))).toEqual(["Old", "New"])
              yield* TestClock.adjust(Duration.hours(2))
              expect(names(yield* call("GET", "/api/queue/", { token }))).toEqual(["New"])
              const [oldId] = (old.body as { queue_item_ids: Array<string> }).queue_item_ids
              expect((yield* call("GET", `/api/email/status/${oldId}`, { token })).body).toMatchObject({
                status: "PENDING"
              })
            })
          )
        )

        it.effect("a finished task answers for one hour, then 404", () =>
          withClockServer(
            Effect.gen(function* () {
              yield* TestClock.setTime(Date.now())
              const token = yield* tokenFor(newUser(), { exp: Math.floor(Date.now() / 1000) + 7 * 86_400 })
              const created = yield* call("POST", "/api/email/generate", {
                token,
                json: { email_template: template, recipient_name: "Ada", recipient_interest: "engines" }
              })
              const taskId = (created.body as { task_id: string }).task_id
              const leases = yield* StoreLeases
              const now = new Date(yield* TestClock.currentTimeMillis)
              let claimed = yield* claimNext
              while (claimed.id !== taskId) claimed = yield* claimNext
              const failure = {
                message: "quota exhausted",
                type: "QuotaExceeded",
                failedStep: "email_composer" as const
              }
              expect(
                yield* leases.fail({ jobId: claimed.id, workerId: "test" }, { ...failure, stepTimings: {}, now })
              ).toBe(true)
              const expected = {
                status: 200,
                body: {
                  task_id: taskId,
                  status: "FAILURE",
                  result: null,
                  error: { message: "quota exhausted", type: "QuotaExceeded", failed_step: "email_composer" }
                }
              }
              expect(yield* call("GET", `/api/email/status/${taskId}`, { token })).toEqual(expected)
              yield* TestClock.adjust(Duration.hours(1))
              expect(yield* call("GET", `/api/email/status/${taskId}`, { token })).toEqual(expected)
              yield* TestClock.adjust(Duration.seconds(1))
              expect(yield* call("GET", `/api/email/status/${taskId}`, { token })).toEqual({
                status: 404,
                body: { detail: "Task not found" }
              })
            }).pipe(Effect.orDie)
          )
        )
      })
    }
  )
