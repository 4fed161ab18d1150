import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import * as Budgets from "@scribe/adapters/upstream/Budgets"
import * as SubmissionLimits from "@scribe/adapters/usage/SubmissionLimits"
import type { HealthProbe } from "@scribe/core/ops/HealthProbe"
import type { Repo } from "@scribe/core/store/Repo"
import { Effect, Layer, Option, Redacted } from "effect"
import { HttpAppLive } from "../src/Server"

export const jwtSecret = "scribe-test-secret-0123456789abcdef0123456789"

/** Submission limits high enough that no suite meets them unless it means to (the guardrail tests set their own). */
export const generousLimits: SubmissionLimits.Options = {
  maxActiveJobsPerUser: 1_000_000,
  submissionsPerMinute: 1_000_000
}

/** The real API on a real port (random) over the given stores, verifying tokens with the given options. */
export const layerServerWith = <E>(
  stores: Layer.Layer<Repo | HealthProbe, E>,
  auth: SupabaseAuth.Options,
  limits: SubmissionLimits.Options = generousLimits
) =>
  HttpAppLive.pipe(
    Layer.provide(SubmissionLimits.layer(limits).pipe(Layer.provide(Budgets.layerMemory))),
    Layer.provide(SupabaseAuth.layer(auth)),
    Layer.provide(stores),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )

/** The real API on a real port (random), with real HS256 verification, over the given stores. */
export const layerServer = <E>(
  stores: Layer.Layer<Repo | HealthProbe, E>,
  limits: SubmissionLimits.Options = generousLimits
) =>
  layerServerWith(
    stores,
    { jwtSecret: Option.some(Redacted.make(jwtSecret)), supabaseUrl: Option.none(), audience: "authenticated" },
    limits
  )

/** A token as Supabase issues it to a signed-in user. */
export const tokenFor = (sub: string, overrides: Record<string, unknown> = {}) =>
  SupabaseAuth.signHs256(jwtSecret, {
    sub,
    email: `${sub}@uni.edu`,
    aud: "authenticated",
    role: "authenticated",
    exp: Math.floor(Date.now() / 1000) + 3600,
    ...overrides
  })

export interface Reply {
  readonly status: number
  readonly body: unknown
}

const read = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.text, (text): Reply => {
    try {
      return { status: response.status, body: text === "" ? null : JSON.parse(text) }
    } catch {
      return { status: response.status, body: text }
    }
  })

/** Sends a raw request (any body, any header) and returns status and parsed JSON body. */
export const call = (...args: Parameters<typeof callWithHeaders>) =>
  Effect.map(callWithHeaders(...args), ({ status, body }): Reply => ({ status, body }))

/** `call`, with the response's headers too (lower-case names). */
export const callWithHeaders = (
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: {
    readonly token?: string
    readonly json?: unknown
    readonly raw?: string
    readonly authorization?: string
    readonly headers?: Record<string, string>
  } = {}
) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(path)
    const authorization = options.authorization ?? (options.token === undefined ? undefined : `Bearer ${options.token}`)
    if (authorization !== undefined) request = HttpClientRequest.setHeader(request, "authorization", authorization)
    if (options.headers !== undefined) request = HttpClientRequest.setHeaders(request, options.headers)
    if (options.raw !== undefined) request = HttpClientRequest.bodyText(request, options.raw, "application/json")
    else if (options.json !== undefined) request = yield* HttpClientRequest.bodyJson(request, options.json)
    return yield* Effect.flatMap(client.execute(request), (response) =>
      Effect.map(read(response), (reply) => ({ ...reply, headers: response.headers }))
    )
  }).pipe(Effect.scoped, Effect.orDie)
