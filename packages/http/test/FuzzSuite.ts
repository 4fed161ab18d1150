import { HttpClient } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import type { HealthProbe } from "@scribe/core/ops/HealthProbe"
import type { Repo } from "@scribe/core/store/Repo"
import { Effect, type Layer } from "effect"
import fc from "fast-check"
import { call, layerServer, tokenFor } from "./TestServer"

const template = "Dear {{name}}, I enjoyed your work on {{research}}."

/** Strings that stress decoders and stores: unicode, NUL, surrogates, huge, numeric-looking. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "\u0000",
    "\ud800",
    "💥".repeat(300),
    "x".repeat(6000),
    "{{name}}",
    "NaN",
    "-1",
    "1e309",
    "' OR 1=1 --"
  ),
  fc.string({ minLength: 2, maxLength: 30 }).map((s) => `{{${s}}} and some text`)
)

const anyJson = fc.oneof(
  fc.jsonValue(),
  fc.anything().map((v) => JSON.parse(JSON.stringify(v ?? null)))
)

const generateBody = fc.record(
  {
    email_template: fc.oneof(nasty, anyJson, fc.constant(template)),
    recipient_name: fc.oneof(nasty, anyJson, fc.constant("Ada Lovelace")),
    recipient_interest: fc.oneof(nasty, anyJson, fc.constant("engines")),
    extra: anyJson
  },
  { requiredKeys: [] }
)

const batchBody = fc.record(
  {
    email_template: fc.oneof(nasty, anyJson, fc.constant(template)),
    items: fc.oneof(
      anyJson,
      fc.array(
        fc.record(
          { recipient_name: fc.oneof(nasty, anyJson), recipient_interest: fc.oneof(nasty, anyJson) },
          { requiredKeys: [] }
        ),
        { maxLength: 105 }
      )
    )
  },
  { requiredKeys: [] }
)

/** Percent-encodes what can be encoded; lone surrogates become U+FFFD first. */
const encode = (s: string) =>
  encodeURIComponent(s.replace(/[\ud800-\udfff]/g, (c, i: number) => (isPaired(s, i) ? c : "\ufffd")))
const isPaired = (s: string, i: number) => {
  const code = s.charCodeAt(i)
  return code < 0xdc00 ? (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 : i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800
}

const pathId = fc.oneof(
  fc.uuid(),
  nasty.map(encode),
  fc.string({ maxLength: 200 }).map(encode),
  fc.constantFrom("%ff", "%", "%E0%A4%A", "..%2F..%2Fetc", "%00")
)
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom("limit", "offset", "include_discarded", "other"),
      fc.oneof(nasty, fc.integer().map(String))
    ),
    {
      maxLength: 4
    }
  )
  .map((pairs) => pairs.map(([k, v]) => `${k}=${encode(v)}`).join("&"))

// 405: a path that exists asked with a method it does not serve (an empty id turns `/api/email/{id}` into the list).
const allowed = new Set([200, 201, 202, 400, 404, 405, 422])

/** Property-based: whatever arrives in body, query or path, the API never answers 5xx. */
export const fuzzSuite = <E>(name: string, stores: Layer.Layer<Repo | HealthProbe, E>, numRuns = 150) =>
  layer(layerServer(stores), { timeout: "300 seconds", excludeTestServices: true })(name, (it) => {
    it.effect(
      "never answers 5xx",
      () =>
        Effect.gen(function* () {
          const client = yield* HttpClient.HttpClient
          const token = yield* tokenFor(crypto.randomUUID())
          const send = (...args: Parameters<typeof call>) =>
            Effect.runPromise(call(...args).pipe(Effect.provideService(HttpClient.HttpClient, client)))
          const check = (label: string) => (reply: { status: number; body: unknown }) => {
            expect(allowed.has(reply.status), `${label}: ${reply.status} ${JSON.stringify(reply.body)}`).toBe(true)
            expect(reply.body).toHaveProperty("detail")
          }
          const property = <T>(arb: fc.Arbitrary<T>, run: (value: T) => Promise<void>) =>
            Effect.promise(() => fc.assert(fc.asyncProperty(arb, run), { numRuns }))

          yield* property(generateBody, async (body) => {
            const reply = await send("POST", "/api/email/generate", { token, json: body })
            if (reply.status !== 202) check("generate")(reply)
          })
          yield* property(batchBody, async (body) => {
            const reply = await send("POST", "/api/queue/batch", { token, json: body })
            if (reply.status !== 201) check("batch")(reply)
          })
          yield* property(fc.string({ maxLength: 300 }), async (raw) => {
            const reply = await send("POST", "/api/queue/batch", { token, raw })
            if (reply.status !== 201) check("raw body")(reply)
          })
          yield* property(fc.tuple(pathId, anyJson), async ([id, body]) => {
            for (const reply of [
              await send("GET", `/api/email/${id}`, { token }),
              await send("PATCH", `/api/email/${id}`, { token, json: body }),
              await send("GET", `/api/email/status/${id}`, { token }),
              await send("DELETE", `/api/queue/${id}`, { token })
            ]) {
              if (reply.status >= 300) check(`path ${id}`)(reply)
            }
          })
          yield* property(query, async (q) => {
            const reply = await send("GET", `/api/email/?${q}`, { token })
            if (reply.status !== 200) check(`query ${q}`)(reply)
          })
        }),
      300_000
    )
  })
