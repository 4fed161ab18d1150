import { describe, expect, layer } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Telemetry from "@scribe/adapters/ops/Telemetry"
import { maxFieldErrors } from "@scribe/client/FieldErrors"
import { UserId } from "@scribe/core/Ids"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Repo, RepoError } from "@scribe/core/store/Repo"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, HashMap, Layer, Logger, Option } from "effect"
import * as EdgePolicy from "../src/EdgePolicy"
import { type RawRequest, sendRaw, serverPort } from "./RawHttp"
import { layerServer, tokenFor } from "./TestServer"

/**
 * The HTTP edge against hostile input, on the real server on a real port: one test per way in which the service
 * once answered 5xx, echoed or stored what it should have refused, or left a browser without what it needs.
 */

const allowedOrigin = "https://app.example.com"
const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"
const generate = { email_template: template, recipient_name: "Dr. Ada Lovelace", recipient_interest: "engines" }
const batch = { email_template: template, items: [{ recipient_name: "Grace Hopper", recipient_interest: "compilers" }] }
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Users whose queue listing fails in the store, so that a request is sure to write a log line. */
const failingUsers = new Set<string>()
const repo = Layer.effect(
  Repo,
  Effect.map(RepoMemory.make, (memory) =>
    Repo.of({
      ...memory,
      listQueue: (userId, since) =>
        failingUsers.has(userId)
          ? Effect.fail(new RepoError({ operation: "listQueue", cause: new Error("store down") }))
          : memory.listQueue(userId, since)
    })
  )
)
const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.merge(repo, healthy)

const logs: Array<{ readonly message: string; readonly annotations: Record<string, unknown> }> = []
const capturedLogs = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ message, annotations }) => {
    logs.push({
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations))
    })
  })
)
const spans = new InMemorySpanExporter()

/** Three submissions per user per minute: enough to see that refused requests spend none of them. */
const Server = layerServer(stores, { maxActiveJobsPerUser: 1_000_000, submissionsPerMinute: 3 }).pipe(
  Layer.provide(EdgePolicy.layer({ corsOrigins: [allowedOrigin] })),
  Layer.provide(capturedLogs),
  Layer.provide(Telemetry.layerTracing({ serviceName: "scribe-hardening", processor: new SimpleSpanProcessor(spans) })),
  Layer.provideMerge(stores)
)

const raw = (request: RawRequest) => Effect.flatMap(serverPort, (port) => Effect.promise(() => sendRaw(port, request)))

const json = (body: unknown) => JSON.stringify(body)

const signedIn = Effect.gen(function* () {
  const id = crypto.randomUUID()
  const token = yield* tokenFor(id)
  return { id, token, auth: `Bearer ${token}` }
})

const jobsOf = (id: string) =>
  Effect.flatMap(Repo, (r) => r.listQueue(UserId.make(id), new Date(0))).pipe(
    Effect.map((entries) => entries.length),
    Effect.orDie
  )

const post = (path: string, auth: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  raw({ method: "POST", path, body, headers: { authorization: auth, "content-type": "application/json", ...headers } })

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

layer(Server, { excludeTestServices: true, timeout: "120 seconds" })("the HTTP edge", (it) => {
  describe("request bodies", () => {
    it.effect("a body over the limit is 413 before any work (from Content-Length); a chunked JSON body is 411", () =>
      Effect.gen(function* () {
        const { id, auth } = yield* signedIn
        const tenMegabytes = Buffer.from(json({ ...generate, extra: "x".repeat(10 * 1024 * 1024) }))
        const rssBefore = process.memoryUsage().rss
        for (let i = 0; i < 10; i++) {
          const refused = yield* post("/api/email/generate", auth, tenMegabytes)
          expect(refused.status).toBe(413)
          expect(refused.json).toEqual({ detail: "Request body too large" })
        }
        expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024)
        const overByOne = json({ ...generate, extra: "x".repeat(1024 * 1024) })
        expect((yield* post("/api/email/generate", auth, overByOne)).status).toBe(413)
        const chunked = yield* raw({
          method: "POST",
          path: "/api/email/generate",
          body: tenMegabytes,
          chunked: true,
          headers: { authorization: auth, "content-type": "application/json" }
        })
        expect(chunked.status).toBe(411)
        expect(yield* jobsOf(id)).toBe(0)
        // Just under the limit still goes through.
        const under = json({ ...generate, extra: "x".repeat(1024 * 1024 - 500) })
        expect((yield* post("/api/email/generate", auth, under)).status).toBe(202)
        expect(yield* jobsOf(id)).toBe(1)
      })
    )

    it.effect("JSON nested deeper than the bound is 422 at the body, never 500, on POST and PATCH", () =>
      Effect.gen(function* () {
        const { id, auth } = yield* signedIn
        const tooDeep = {
          status: 422,
          json: { detail: [{ loc: ["body"], msg: "JSON nested deeper than 32 levels", type: "json_invalid" }] }
        }
        const deepGenerate = `{"email_template":${nested(3000)},"recipient_name":"Ada","recipient_interest":"xy"}`
        expect(yield* post("/api/email/generate", auth, deepGenerate)).toMatchObject(tooDeep)
        expect(yield* post("/api/queue/batch", auth, `{"items":${nested(3000)}}`)).toMatchObject(tooDeep)
        const patch = yield* raw({
          method: "PATCH",
          path: `/api/email/${crypto.randomUUID()}`,
          body: `{"displayed":${nested(5000)}}`,
          headers: { authorization: auth, "content-type": "application/json" }
        })
        expect(patch).toMatchObject(tooDeep)
        // Within the bound the schema answers, field by field.
        const shallow = yield* post("/api/email/generate", auth, `{"email_template":${nested(20)}}`)
        expect(shallow.status).toBe(422)
        expect((shallow.json as { detail: Array<unknown> }).detail[0]).toEqual({
          loc: ["body", "email_template"],
          msg: "Input should be a valid string",
          type: "string_type"
        })
        // Brackets inside strings are text, not nesting.
        const bracketsInText = { ...generate, recipient_interest: `${"[".repeat(100)} and {{ }}` }
        expect((yield* post("/api/email/generate", auth, json(bracketsInText))).status).toBe(202)
        expect(yield* jobsOf(id)).toBe(1)
      })
    )

    it.effect(
      "a validation message quotes at most a short excerpt of the input, and the list of errors is bounded",
      () =>
        Effect.gen(function* () {
          const { id, auth } = yield* signedIn
          const bigString = yield* post("/api/email/generate", auth, json("x".repeat(900_000)))
          expect(bigString.status).toBe(422)
          expect(bigString.json).toEqual({
            detail: [
              {
                loc: ["body"],
                msg: "Input should be a valid dictionary or object to extract fields from",
                type: "model_attributes_type"
              }
            ]
          })
          const wrongType = yield* post(
            "/api/email/generate",
            auth,
            json({ ...generate, recipient_name: { nested: "y".repeat(800_000) } })
          )
          expect(wrongType.status).toBe(422)
          expect(wrongType.text.length).toBeLessThan(500)
          const plain = yield* raw({
            method: "POST",
            path: "/api/email/generate",
            body: "z".repeat(900_000),
            headers: { authorization: auth, "content-type": "text/plain" }
          })
          expect(plain.status).toBe(415)
          expect(plain.text.length).toBeLessThan(200)
          // 900 empty items: 1 800 violations, of which the first `maxFieldErrors` are reported.
          const manyItems = yield* post(
            "/api/queue/batch",
            auth,
            json({ items: Array.from({ length: 900 }, () => ({})) })
          )
          expect(manyItems.status).toBe(422)
          expect((manyItems.json as { detail: Array<unknown> }).detail).toHaveLength(maxFieldErrors)
          for (const entry of (manyItems.json as { detail: Array<{ msg: string }> }).detail) {
            expect(entry.msg.length).toBeLessThan(320)
          }
          // Past 2 000 values the body is refused before it is validated (validating it would cost seconds).
          const started = Date.now()
          const huge = yield* post("/api/queue/batch", auth, json({ items: Array.from({ length: 300_000 }, () => 1) }))
          expect(huge.json).toEqual({
            detail: [{ loc: ["body"], msg: "JSON with more than 2000 values", type: "json_invalid" }]
          })
          expect(Date.now() - started).toBeLessThan(2_000)
          expect(yield* jobsOf(id)).toBe(0)
        })
    )

    it.effect("JSON routes take only application/json (any charset); form and multipart bodies are 415", () =>
      Effect.gen(function* () {
        const { id, auth } = yield* signedIn
        const form = "email_template=Dear+%7B%7Bname%7D%7D+hello+there&recipient_name=Ada&recipient_interest=engines"
        const boundary = "scribe-boundary"
        const multipart = [
          `--${boundary}\r\nContent-Disposition: form-data; name="email_template"\r\n\r\nDear {{name}}, hello there\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="recipient_name"\r\n\r\nAda\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="recipient_interest"\r\n\r\nengines\r\n`,
          `--${boundary}--\r\n`
        ].join("")
        const refusals: ReadonlyArray<readonly [string, string, string, string]> = [
          ["POST", "/api/email/generate", "application/x-www-form-urlencoded", form],
          ["POST", "/api/email/generate", `multipart/form-data; boundary=${boundary}`, multipart],
          ["POST", "/api/queue/batch", `multipart/form-data; boundary=${boundary}`, multipart],
          ["POST", "/api/queue/batch", "text/plain", json(batch)],
          ["POST", "/api/email/generate", "application/xml", "<generate/>"],
          ["PATCH", `/api/email/${crypto.randomUUID()}`, "application/x-www-form-urlencoded", "displayed=true"]
        ]
        for (const [method, path, contentType, body] of refusals) {
          const reply = yield* raw({
            method,
            path,
            body,
            headers: { authorization: auth, "content-type": contentType }
          })
          expect(reply.status, `${method} ${path} as ${contentType}`).toBe(415)
          expect(reply.json).toEqual({ detail: "Unsupported Media Type: send the body as application/json" })
        }
        // A declared media type counts even with no body (an empty multipart body once hung the request).
        for (const contentType of [`multipart/form-data; boundary=${boundary}`, "text/plain"]) {
          const empty = yield* raw({
            method: "POST",
            path: "/api/email/generate",
            body: "",
            headers: { authorization: auth, "content-type": contentType }
          })
          expect(empty.status, contentType).toBe(415)
        }
        expect(yield* jobsOf(id)).toBe(0)
        for (const contentType of ["application/json; charset=utf-8", "Application/JSON", undefined]) {
          const reply = yield* raw({
            method: "POST",
            path: "/api/queue/batch",
            body: json(batch),
            headers: { authorization: auth, "content-type": contentType }
          })
          expect(reply.status, String(contentType)).toBe(201)
        }
        expect(yield* jobsOf(id)).toBe(3)
      })
    )
  })

  describe("tokens and headers", () => {
    it.effect(
      "a token's sub must be a UUID and its claims storable: otherwise 401, never 500, never a shared account",
      () =>
        Effect.gen(function* () {
          const refused: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
            ["victim", {}],
            ["victim\ud800", {}],
            ["victim\udc00", {}],
            ["victim\ufffd", {}],
            ["vic\u0000tim", {}],
            [`${crypto.randomUUID()}\u0000`, {}],
            [crypto.randomUUID(), { email: "ada\u0000@uni.edu" }],
            [crypto.randomUUID(), { email: "ada\ud800@uni.edu" }],
            [crypto.randomUUID(), { email: "ada\u001b[31m@uni.edu" }]
          ]
          for (const [sub, overrides] of refused) {
            const token = yield* tokenFor(sub, overrides)
            for (const [method, path] of [
              ["GET", "/api/queue/"],
              ["POST", "/api/email/generate"]
            ] as const) {
              const reply = yield* raw({
                method,
                path,
                body: method === "POST" ? json(generate) : undefined,
                headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }
              })
              expect(reply.status, `${JSON.stringify(sub)} ${JSON.stringify(overrides)} ${method}`).toBe(401)
            }
            expect(yield* jobsOf(sub)).toBe(0)
          }
          const fine = yield* tokenFor(crypto.randomUUID(), { email: "zoë@exämple.edu" })
          expect(
            (yield* raw({ method: "GET", path: "/api/queue/", headers: { authorization: `Bearer ${fine}` } })).status
          ).toBe(200)
        })
    )

    it.effect(
      "Idempotency-Key is 1–255 visible ASCII characters (else 422 at the header); refusals spend no quota",
      () =>
        Effect.gen(function* () {
          const { id, auth } = yield* signedIn
          for (const key of ["", " ", "two words", "tab\there", "caf\u00e9", "k".repeat(256)]) {
            const reply = yield* post("/api/email/generate", auth, json(generate), { "idempotency-key": key })
            expect(reply.status, JSON.stringify(key)).toBe(422)
            expect(reply.json, JSON.stringify(key)).toEqual({
              detail: [
                {
                  loc: ["header", "idempotency-key"],
                  msg: "Value error, Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)",
                  type: "value_error"
                }
              ]
            })
          }
          // Every other refusal on the way in spends nothing either.
          expect((yield* post("/api/email/generate", auth, json({ ...generate, recipient_name: "" }))).status).toBe(422)
          expect((yield* post("/api/email/generate", auth, `{"email_template":${nested(100)}}`)).status).toBe(422)
          expect((yield* post("/api/email/generate", auth, "x".repeat(2 * 1024 * 1024))).status).toBe(413)
          expect(
            (yield* post("/api/email/generate", auth, json(generate), { "content-type": "text/plain" })).status
          ).toBe(415)
          expect(yield* jobsOf(id)).toBe(0)
          // The whole allowance (3 a minute) is still there.
          const key = { "idempotency-key": "k".repeat(255) }
          expect((yield* post("/api/email/generate", auth, json(generate), key)).status).toBe(202)
          expect((yield* post("/api/email/generate", auth, json(generate), key)).status).toBe(202)
          expect((yield* post("/api/email/generate", auth, json(generate))).status).toBe(202)
          expect((yield* post("/api/queue/batch", auth, json(batch))).status).toBe(201)
          const spent = yield* post("/api/email/generate", auth, json(generate))
          expect(spent.status).toBe(429)
          expect(spent.headers["retry-after"]).toBeDefined()
          expect(yield* jobsOf(id)).toBe(3)
        })
    )

    it.effect("a 401 carries WWW-Authenticate: Bearer, with error=invalid_token when a token was sent", () =>
      Effect.gen(function* () {
        const expired = yield* tokenFor(crypto.randomUUID(), { exp: Math.floor(Date.now() / 1000) - 3600 })
        const cases: ReadonlyArray<readonly [string | undefined, string]> = [
          [undefined, "Bearer"],
          ["Basic dXNlcjpwYXNz", "Bearer"],
          ["Bearer", "Bearer"],
          ["Bearer not.a.jwt", 'Bearer error="invalid_token"'],
          [`Bearer ${expired}`, 'Bearer error="invalid_token"']
        ]
        for (const [authorization, challenge] of cases) {
          const reply = yield* raw({ method: "GET", path: "/api/queue/", headers: { authorization } })
          expect(reply.status, String(authorization)).toBe(401)
          expect(reply.headers["www-authenticate"], String(authorization)).toBe(challenge)
        }
        const { auth } = yield* signedIn
        const ok = yield* raw({ method: "GET", path: "/api/queue/", headers: { authorization: auth } })
        expect(ok.status).toBe(200)
        expect(ok.headers["www-authenticate"]).toBeUndefined()
      })
    )
  })

  describe("templates", () => {
    it.effect("a placeholder needs a name, and every length is counted in code points", () =>
      Effect.gen(function* () {
        // A new user each time: the server allows 3 submissions a minute per user.
        const send = (body: Record<string, unknown>) =>
          Effect.flatMap(signedIn, ({ auth }) => post("/api/email/generate", auth, json({ ...generate, ...body })))
        const noPlaceholder = {
          loc: ["body", "email_template"],
          msg: "Value error, Template must contain at least one placeholder like {{name}}",
          type: "value_error"
        }
        for (const email_template of [
          "Dear {{   }}, hello there",
          "Dear {{}}, hello there",
          "Dear {{\t\n}}, hi there"
        ]) {
          const reply = yield* send({ email_template })
          expect(reply.status, email_template).toBe(422)
          expect(reply.json, email_template).toEqual({ detail: [noPlaceholder] })
        }
        const emoji = "\u{1F600}"
        expect((yield* send({ recipient_name: emoji.repeat(200) })).status).toBe(202)
        expect((yield* send({ recipient_name: emoji.repeat(255) })).status).toBe(202)
        const tooLong = yield* send({ recipient_name: emoji.repeat(256) })
        expect(tooLong.json).toEqual({
          detail: [
            {
              loc: ["body", "recipient_name"],
              msg: "String should have at most 255 characters",
              type: "string_too_long"
            }
          ]
        })
        const tooShort = yield* send({ email_template: `{{a}}${emoji.repeat(3)}` })
        expect(tooShort.json).toEqual({
          detail: [
            {
              loc: ["body", "email_template"],
              msg: "String should have at least 10 characters",
              type: "string_too_short"
            }
          ]
        })
        expect((yield* send({ email_template: `{{a}}${emoji.repeat(5)}` })).status).toBe(202)
        expect((yield* send({ recipient_interest: emoji.repeat(500) })).status).toBe(202)
        expect((yield* send({ recipient_interest: emoji.repeat(501) })).status).toBe(422)
        expect((yield* send({ recipient_name: "Ada \ud800" })).status).toBe(422)
      })
    )
  })

  describe("the résumé template route (JSON or an upload)", () => {
    it.effect("a JSON body there has the JSON limit and rules; any other type is 415 naming both", () =>
      Effect.gen(function* () {
        const { auth } = yield* signedIn
        const request = { pdf_url: "https://example.com/cv.pdf", user_instructions: "Formal, and short please" }
        const big = yield* post("/api/templates/", auth, json({ ...request, extra: "x".repeat(1024 * 1024) }))
        expect(big.status).toBe(413)
        const deep = yield* post("/api/templates/", auth, nested(40))
        expect(deep.status).toBe(422)
        const plain = yield* post("/api/templates/", auth, json(request), { "content-type": "text/plain" })
        expect(plain.status).toBe(415)
        expect(plain.json).toEqual({
          detail: "Unsupported Media Type: send the body as multipart/form-data or application/json"
        })
        const listed = yield* raw({ method: "GET", path: "/api/templates/", headers: { authorization: auth } })
        expect(listed.json).toEqual([])
      })
    )
  })

  describe("routing", () => {
    it.effect("a wrong method on a known path is 405 with Allow; an unknown path is 404", () =>
      Effect.gen(function* () {
        const { auth } = yield* signedIn
        const cases: ReadonlyArray<readonly [string, string, string]> = [
          // `/api/email/generate` is also `/api/email/{email_id}` (GET and PATCH answer it with 400).
          ["PUT", "/api/email/generate", "GET, HEAD, POST, PATCH"],
          ["DELETE", "/api/email/", "GET, HEAD"],
          ["DELETE", "/api/email", "GET, HEAD"],
          ["POST", `/api/email/${crypto.randomUUID()}`, "GET, HEAD, PATCH"],
          ["PUT", `/api/email/status/${crypto.randomUUID()}`, "GET, HEAD"],
          ["POST", "/api/queue/", "GET, HEAD"],
          ["POST", "/health", "GET, HEAD"],
          ["DELETE", "/openapi.json", "GET, HEAD"]
        ]
        for (const [method, path, allow] of cases) {
          const reply = yield* raw({ method, path, headers: { authorization: auth } })
          expect(reply.status, `${method} ${path}`).toBe(405)
          expect(reply.headers.allow, `${method} ${path}`).toBe(allow)
          expect(reply.json).toEqual({ detail: "Method Not Allowed" })
        }
        // The console answers every other page path (GET): that makes no API path a known one.
        for (const method of ["GET", "POST", "DELETE"]) {
          const unknown = yield* raw({ method, path: "/api/nothing-here", headers: { authorization: auth } })
          expect(unknown.status, method).toBe(404)
          expect(unknown.json).toEqual({ detail: "Not Found" })
        }
      })
    )
  })

  describe("CORS (SCRIBE_CORS_ORIGINS set)", () => {
    const preflight = (origin: string, path: string) =>
      raw({
        method: "OPTIONS",
        path,
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type, idempotency-key"
        }
      })

    it.effect("a preflight from an allowed origin is 204 with what the browser needs, on every API route", () =>
      Effect.gen(function* () {
        for (const path of [
          "/api/email/generate",
          "/api/queue/batch",
          `/api/email/${crypto.randomUUID()}`,
          "/api/queue/"
        ]) {
          const reply = yield* preflight(allowedOrigin, path)
          expect(reply.status, path).toBe(204)
          expect(reply.headers["access-control-allow-origin"]).toBe(allowedOrigin)
          expect(reply.headers["access-control-allow-methods"]).toBe("GET, POST, PATCH, DELETE")
          expect(reply.headers["access-control-allow-headers"]).toBe(
            "Authorization,Content-Type,X-Request-ID,Idempotency-Key"
          )
          expect(Number(reply.headers["access-control-max-age"])).toBeGreaterThan(0)
          expect(reply.headers.vary).toMatch(/Origin/)
          expect(reply.headers["access-control-allow-credentials"]).toBeUndefined()
        }
      })
    )

    it.effect("answers to an allowed origin carry the allow header, Vary: Origin and the exposed headers", () =>
      Effect.gen(function* () {
        const { auth } = yield* signedIn
        for (const [method, path, body] of [
          ["GET", "/api/queue/", undefined],
          ["POST", "/api/email/generate", json(generate)],
          ["GET", "/api/email/not-a-uuid", undefined]
        ] as const) {
          const reply = yield* raw({
            method,
            path,
            body,
            headers: { origin: allowedOrigin, authorization: auth, "content-type": "application/json" }
          })
          expect(reply.status, path).toBeLessThan(500)
          expect(reply.headers["access-control-allow-origin"], path).toBe(allowedOrigin)
          expect(reply.headers.vary, path).toMatch(/Origin/)
          expect(reply.headers["access-control-expose-headers"], path).toBe("Retry-After,X-Request-ID")
        }
        const unauthenticated = yield* raw({ method: "GET", path: "/api/queue/", headers: { origin: allowedOrigin } })
        expect(unauthenticated.status).toBe(401)
        expect(unauthenticated.headers["access-control-allow-origin"]).toBe(allowedOrigin)
      })
    )

    it.effect("a foreign origin gets no allow header, never *", () =>
      Effect.gen(function* () {
        const { auth } = yield* signedIn
        for (const origin of ["https://evil.example.com", "https://app.example.com.evil.org", "null", "*"]) {
          const pre = yield* preflight(origin, "/api/email/generate")
          expect(pre.headers["access-control-allow-origin"], origin).toBeUndefined()
          const actual = yield* raw({ method: "GET", path: "/api/queue/", headers: { origin, authorization: auth } })
          expect(actual.status).toBe(200)
          expect(actual.headers["access-control-allow-origin"], origin).toBeUndefined()
          expect(actual.headers.vary, origin).toMatch(/Origin/)
        }
      })
    )
  })

  describe("X-Request-ID", () => {
    it.effect(
      "a safe X-Request-ID is echoed on every answer, refusals and preflights included; others are replaced",
      () =>
        Effect.gen(function* () {
          const { auth } = yield* signedIn
          const answers: ReadonlyArray<RawRequest> = [
            { method: "GET", path: "/api/queue/", headers: { authorization: auth } },
            { method: "GET", path: "/api/queue/" },
            { method: "GET", path: "/api/nowhere" },
            { method: "PUT", path: "/api/email/generate" },
            {
              method: "POST",
              path: "/api/email/generate",
              body: "x".repeat(2 * 1024 * 1024),
              headers: { authorization: auth }
            },
            { method: "POST", path: "/api/email/generate", body: "a=b", headers: { "content-type": "text/plain" } },
            { method: "POST", path: "/api/email/generate", body: "{}", headers: { authorization: auth } },
            { method: "OPTIONS", path: "/api/email/generate", headers: { origin: allowedOrigin } },
            { method: "GET", path: "/health" }
          ]
          for (const [i, request] of answers.entries()) {
            const id = `req-${i}.${crypto.randomUUID()}`
            const reply = yield* raw({ ...request, headers: { ...request.headers, "x-request-id": id } })
            expect(reply.headers["x-request-id"], `${request.method} ${request.path} (${reply.status})`).toBe(id)
          }
          for (const unsafe of ["two words", "<script>", "x".repeat(129), "caf\u00e9", ""]) {
            const reply = yield* raw({ method: "GET", path: "/api/queue/", headers: { "x-request-id": unsafe } })
            expect(reply.headers["x-request-id"], JSON.stringify(unsafe)).toMatch(uuidPattern)
          }
          const none = yield* raw({ method: "GET", path: "/api/queue/" })
          expect(none.headers["x-request-id"]).toMatch(uuidPattern)
        })
    )

    it.effect("the request id is on the request's span and on every log line written while it is handled", () =>
      Effect.gen(function* () {
        const { id: userId, auth } = yield* signedIn
        failingUsers.add(userId)
        const requestId = `trace-me-${crypto.randomUUID()}`
        const reply = yield* raw({
          method: "GET",
          path: "/api/queue/",
          headers: { authorization: auth, "x-request-id": requestId }
        })
        expect(reply.status).toBe(500)
        expect(reply.headers["x-request-id"]).toBe(requestId)
        const logged = logs.filter((line) => line.annotations.request_id === requestId)
        expect(logged.map((line) => line.message)).toContain("store failure in listQueue")
        const span = spans.getFinishedSpans().find((s) => s.attributes["http.request.id"] === requestId)
        expect(span?.kind).toBe(1) // SpanKind.SERVER
      })
    )
  })
})

/** The defaults: no CORS configured, and one route registered as an upload route with its own limit. */
const upload: EdgePolicy.UploadRoute = {
  method: "PATCH",
  path: "/api/email/:email_id",
  mediaTypes: ["multipart/form-data"],
  maxBodyBytes: 3 * 1024 * 1024,
  acceptsJson: false
}
const Defaults = layerServer(Layer.merge(RepoMemory.layer, healthy)).pipe(
  Layer.provide(EdgePolicy.layer({ uploads: [upload] }))
)

layer(Defaults, { excludeTestServices: true, timeout: "60 seconds" })("the HTTP edge with its defaults", (it) => {
  it.effect("without SCRIBE_CORS_ORIGINS there are no CORS headers at all", () =>
    Effect.gen(function* () {
      const { auth } = yield* signedIn
      const pre = yield* raw({
        method: "OPTIONS",
        path: "/api/email/generate",
        headers: { origin: allowedOrigin, "access-control-request-method": "POST" }
      })
      expect(pre.status).toBe(405)
      const actual = yield* raw({
        method: "GET",
        path: "/api/queue/",
        headers: { origin: allowedOrigin, authorization: auth }
      })
      expect(actual.status).toBe(200)
      for (const reply of [pre, actual]) {
        expect(Object.keys(reply.headers).filter((h) => h.startsWith("access-control-"))).toEqual([])
        expect(reply.headers.vary).toBeUndefined()
      }
    })
  )

  it.effect("an upload route takes multipart up to its own limit, and only multipart", () =>
    Effect.gen(function* () {
      const { auth } = yield* signedIn
      const boundary = "scribe-upload"
      const part = (size: number) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="displayed"\r\n\r\ntrue\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="notes"\r\n\r\n${"n".repeat(size)}\r\n--${boundary}--\r\n`
      const send = (body: string, contentType: string) =>
        raw({
          method: "PATCH",
          path: `/api/email/${crypto.randomUUID()}`,
          body,
          headers: { authorization: auth, "content-type": contentType }
        })
      // Past the 1 MB default, within the route's 3 MB: read and decoded (a form field is text, not a boolean).
      const within = yield* send(part(2 * 1024 * 1024), `multipart/form-data; boundary=${boundary}`)
      expect(within.status).toBe(422)
      expect(within.json).toMatchObject({ detail: [{ loc: ["body", "displayed"], type: "bool_type" }] })
      const over = yield* send(part(4 * 1024 * 1024), `multipart/form-data; boundary=${boundary}`)
      expect(over.status).toBe(413)
      // Neither an empty nor a malformed upload leaves the request hanging.
      const empty = yield* send("", `multipart/form-data; boundary=${boundary}`)
      expect(empty.status).toBe(400)
      const malformed = yield* send("not a multipart body at all", `multipart/form-data; boundary=${boundary}`)
      expect(malformed.status).toBeGreaterThanOrEqual(400)
      expect(malformed.status).toBeLessThan(500)
      const asJson = yield* send(json({ displayed: true }), "application/json")
      expect(asJson.status).toBe(415)
      expect(asJson.json).toEqual({ detail: "Unsupported Media Type: send the body as multipart/form-data" })
    })
  )
})
