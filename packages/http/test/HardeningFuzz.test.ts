import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { HttpApi } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { ScribeApi } from "@scribe/client/ScribeApi"
import { UserId } from "@scribe/core/Ids"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Repo } from "@scribe/core/store/Repo"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import fc from "fast-check"
import * as EdgePolicy from "../src/EdgePolicy"
import { type RawReply, sendRaw, serverPort } from "./RawHttp"
import { layerServer, tokenFor } from "./TestServer"

/**
 * Property-based, on the real server: random body sizes, nesting depths, media types, header values and token claims
 * at every route of the contract. Never a 5xx, never a stored job for a refused request, bounded memory.
 */

const allowedOrigin = "https://app.example.com"
/** A quarter of the default limit: the same edge, with less memory churned by the bodies around the limit. */
const limit = 256 * 1024
const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.merge(RepoMemory.layer, healthy)
const Server = layerServer(stores).pipe(
  Layer.provide(EdgePolicy.layer({ corsOrigins: [allowedOrigin], maxBodyBytes: limit })),
  Layer.provideMerge(stores)
)

interface Route {
  readonly method: string
  readonly path: string
  readonly hasPayload: boolean
}

/** Every route of the contract (new groups included as they are added), and the ones served beside it. */
const routes: ReadonlyArray<Route> = (() => {
  const found: Array<Route> = [
    { method: "GET", path: "/metrics", hasPayload: false },
    { method: "GET", path: "/openapi.json", hasPayload: false },
    { method: "GET", path: "/docs", hasPayload: false }
  ]
  HttpApi.reflect(ScribeApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) =>
      found.push({ method: endpoint.method, path: endpoint.path, hasPayload: Option.isSome(endpoint.payloadSchema) })
  })
  return found
})()

const template = "Dear {{name}}, I enjoyed your work on {{research}}."
const validBodies = [
  { email_template: template, recipient_name: "Ada Lovelace", recipient_interest: "engines" },
  { email_template: template, items: [{ recipient_name: "Grace Hopper", recipient_interest: "compilers" }] },
  { displayed: false }
]

const [generateBody, batchBody, updateBody] = validBodies
/** A body the route would accept. */
const validBodyFor = (path: string) =>
  path.endsWith("/generate") ? generateBody : path.endsWith("/batch") ? batchBody : updateBody

const headerChar = fc.constantFrom(
  "\t",
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  "\u00e9",
  "\u00ff"
)
/** What an HTTP client can put in a header: tabs, visible ASCII, spaces, Latin-1. */
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 40 }),
  fc.constantFrom("", " ", "k".repeat(255), "k".repeat(256), "x".repeat(2000))
)

/** Claim values that once broke the service: NUL, lone surrogates, look-alikes, huge. */
const claimString = fc.oneof(
  fc.uuid(),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("victim", "victim\ud800", "victim\udc00", "victim\ufffd", "\u0000", "x".repeat(5000)),
  fc.uuid().map((u) => `${u}\u0000`),
  fc.uuid().map((u) => u.toUpperCase())
)

const sizes = [0, 10, 1_000, 100_000, limit - 200, limit + 1, 4 * limit]
/** Made once, so that the client's own allocations do not swamp the server's memory being measured. */
const sizedBodies: ReadonlyArray<Buffer> = sizes.flatMap((size) =>
  validBodies.map((valid) => Buffer.from(JSON.stringify({ ...valid, extra: "x".repeat(size) })))
)

const body = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.constant("valid"), weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 80 }), fc.constantFrom("[", '{"a":'), fc.constantFrom(...validBodies))
      .map(([depth, open, valid]) => {
        const close = open === "[" ? "]" : "}"
        return JSON.stringify({ ...valid, extra: 0 }).replace("0}", `${open.repeat(depth)}0${close.repeat(depth)}}`)
      }),
    weight: 2
  },
  { arbitrary: fc.constantFrom(...sizedBodies), weight: 2 },
  {
    arbitrary: fc
      .integer({ min: 0, max: 5_000 })
      .map((n) => JSON.stringify({ items: Array.from({ length: n }, () => ({})) })),
    weight: 1
  },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 }
)

const mediaType = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json; charset=latin1",
      "APPLICATION/JSON"
    ),
    weight: 4
  },
  {
    arbitrary: fc.constantFrom(
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/jsonx",
      ""
    ),
    weight: 2
  },
  { arbitrary: fc.string({ unit: headerChar, maxLength: 30 }), weight: 1 }
)

const pathParam = fc.oneof(
  fc.uuid(),
  fc.constantFrom("x", "generate", "%00", "..%2F..%2Fetc", "%ff", ""),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "")))
)

const authorization = fc.oneof(
  { arbitrary: fc.constant({ kind: "none" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "user" as const }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("claims" as const), sub: claimString, email: claimString }), weight: 3 },
  { arbitrary: headerValue.map((header) => ({ kind: "header" as const, header })), weight: 1 }
)

const request = fc.record({
  route: fc.constantFrom(...routes),
  // Mostly the route's own method; sometimes another one.
  otherMethod: fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    { arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"), weight: 1 }
  ),
  param: pathParam,
  body,
  mediaType,
  chunked: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  idempotencyKey: fc.option(headerValue, { freq: 2 }),
  requestId: fc.option(headerValue, { freq: 2 }),
  origin: fc.option(fc.oneof(fc.constant(allowedOrigin), fc.constant("https://evil.example.com"), headerValue), {
    freq: 2
  }),
  authorization
})

// Memory is compared after full collections: what is measured is what the server keeps, not garbage not yet collected.
setFlagsFromString("--expose-gc")
const collectGarbage = runInNewContext("gc") as () => void

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

layer(Server, { excludeTestServices: true, timeout: "120 seconds" })("the HTTP edge, fuzzed", (it) => {
  it.effect(
    "never 5xx, nothing stored for a refused request, memory bounded",
    () =>
      Effect.gen(function* () {
        const port = yield* serverPort
        const repo = yield* Repo
        const user = crypto.randomUUID()
        const userToken = yield* tokenFor(user)
        const jobs = () =>
          Effect.runPromise(Effect.map(Effect.orDie(repo.listQueue(UserId.make(user), new Date(0))), (q) => q.length))
        let stored = 0
        const seen = new Map<number, number>()

        // `fc.check`, not `fc.assert`: a counterexample can hold a megabyte of body; only its short label is shown.
        const run = (numRuns: number) =>
          fc.check(
            fc.asyncProperty(request, async (r) => {
              const method = r.otherMethod ?? r.route.method
              const path = r.route.path.replace(/:[^/]+/g, () => r.param)
              const token =
                r.authorization.kind === "user"
                  ? userToken
                  : r.authorization.kind === "claims"
                    ? await Effect.runPromise(tokenFor(r.authorization.sub, { email: r.authorization.email }))
                    : undefined
              const headers: Record<string, string | undefined> = {
                authorization: r.authorization.kind === "header" ? r.authorization.header : token && `Bearer ${token}`,
                "content-type": r.mediaType,
                "idempotency-key": r.idempotencyKey ?? undefined,
                "x-request-id": r.requestId ?? undefined,
                origin: r.origin ?? undefined
              }
              const body = r.body === "valid" ? JSON.stringify(validBodyFor(path)) : r.body
              const sentBody = method === "GET" || method === "HEAD" ? undefined : body
              const reply: RawReply = await sendRaw(port, {
                method,
                path,
                headers,
                body: sentBody,
                chunked: r.chunked
              })
              const shown = Object.fromEntries(
                Object.entries(headers).map(([k, v]) => [k, v === undefined ? v : `${v.slice(0, 60)}(${v.length})`])
              )
              const label = `${method} ${path} ${JSON.stringify(shown)} ${r.chunked ? "chunked " : ""}${sentBody?.length ?? 0}B → ${reply.status} ${reply.text.slice(0, 200)}`
              seen.set(reply.status, (seen.get(reply.status) ?? 0) + 1)
              expect(reply.status, label).not.toBe(-1)
              const oversized = sentBody !== undefined && Buffer.byteLength(sentBody) > limit && !r.chunked
              // An oversized body may see its connection closed while it is still being sent.
              if (reply.status === 0) expect(oversized, label).toBe(true)
              else {
                expect(reply.status, label).toBeLessThan(500)
                expect(reply.headers["x-request-id"], label).toBeDefined()
                // A preflight is answered before the body matters (the body is never read).
                if (oversized && method !== "OPTIONS") expect(reply.status, label).toBe(413)
                if (r.origin === allowedOrigin)
                  expect(reply.headers["access-control-allow-origin"], label).toBe(allowedOrigin)
                else expect(reply.headers["access-control-allow-origin"], label).toBeUndefined()
                if (
                  r.authorization.kind === "claims" &&
                  !uuidPattern.test(r.authorization.sub) &&
                  path.startsWith("/api/") &&
                  method !== "OPTIONS"
                ) {
                  expect(reply.status, label).toBeGreaterThanOrEqual(400)
                }
              }
              const now = await jobs()
              if (reply.status < 200 || reply.status >= 300) expect(now, `stored on a refusal: ${label}`).toBe(stored)
              stored = now
            }),
            { numRuns }
          )
        const check = (outcome: {
          readonly failed: boolean
          readonly numRuns: number
          readonly seed: number
          readonly errorInstance: unknown
        }) => {
          if (outcome.failed) {
            throw new Error(
              `failed after ${outcome.numRuns} runs (seed ${outcome.seed}): ${String(outcome.errorInstance)}`
            )
          }
        }
        // A warm-up first: the first few hundred requests take the process to its allocator's high-water mark (about
        // 250 MB more RSS here, with a flat V8 heap), where it then stays; growth past it is what would be a leak.
        check(yield* Effect.promise(() => run(400)))
        collectGarbage()
        const rssBefore = process.memoryUsage().rss
        check(yield* Effect.promise(() => run(400)))
        collectGarbage()
        const growth = process.memoryUsage().rss - rssBefore
        expect(growth, `RSS grew by ${Math.round(growth / 1024 / 1024)} MB`).toBeLessThan(100 * 1024 * 1024)
        // The run reached past the edge too, not only its refusals.
        expect((seen.get(201) ?? 0) + (seen.get(202) ?? 0), JSON.stringify([...seen])).toBeGreaterThan(0)
        expect((seen.get(413) ?? 0) + (seen.get(415) ?? 0)).toBeGreaterThan(0)
        expect(seen.get(422) ?? 0).toBeGreaterThan(0)
        expect(seen.get(401) ?? 0).toBeGreaterThan(0)
      }),
    120_000
  )
})
