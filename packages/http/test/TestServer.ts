import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import * as PdfjsText from "@scribe/adapters/pdf/PdfjsText"
import * as SafePdfFetcher from "@scribe/adapters/scraper/SafePdfFetcher"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import * as Budgets from "@scribe/adapters/upstream/Budgets"
import * as SubmissionLimits from "@scribe/adapters/usage/SubmissionLimits"
import * as AdminAccess from "@scribe/core/admin/AdminAccess"
import type { HealthProbe } from "@scribe/core/ops/HealthProbe"
import type { Repo } from "@scribe/core/store/Repo"
import * as DeterministicResumeTemplate from "@scribe/core/templates/DeterministicResumeTemplate"
import type { PdfFetcher } from "@scribe/core/templates/PdfFetcher"
import type { PdfText } from "@scribe/core/templates/PdfText"
import * as TemplateLimit from "@scribe/core/templates/TemplateLimit"
import type { TemplateWriter } from "@scribe/core/templates/TemplateWriter"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import { Effect, Layer, Option, Redacted } from "effect"
import { HttpAppLive } from "../src/Server"

export const jwtSecret = "scribe-test-secret-0123456789abcdef0123456789"

/** Submission limits high enough that no suite meets them unless it means to (the guardrail tests set their own). */
export const generousLimits: SubmissionLimits.Options = {
  maxActiveJobsPerUser: 1_000_000,
  submissionsPerMinute: 1_000_000
}

/** An operator by email (`SCRIBE_ADMIN_EMAILS`) in the test servers. */
export const adminEmail = "ops@scribe.test"

export type AccountServices =
  | TemplateWriter
  | PdfFetcher
  | PdfText
  | TemplateLimit.TemplateLimit
  | AdminAccess.AdminAccess

/**
 * The accounts' services as the embedded default has them (no model: deterministic templates), the PDF fetcher
 * refusing private addresses and reaching the simulated world through `Resumes.publicSeams`.
 */
export const testAccountServices: Layer.Layer<AccountServices> = Layer.mergeAll(
  DeterministicResumeTemplate.layer,
  SafePdfFetcher.layer({ allowPrivate: false, ...Resumes.publicSeams }),
  PdfjsText.layer(),
  TemplateLimit.layer(TemplateLimit.defaultMaxPerUser),
  AdminAccess.layer([adminEmail])
)

/** The real API on a real port (random) over stores that include the account stores, with these accounts' services. */
export const layerAppWithServices = <E, E2, R2>(
  stores: Layer.Layer<Repo | HealthProbe | Exclude<AccountsMemory.AccountStores, Repo>, E>,
  auth: SupabaseAuth.Options,
  limits: SubmissionLimits.Options,
  accounts: Layer.Layer<AccountServices, E2, R2>
) =>
  HttpAppLive.pipe(
    Layer.provide(SubmissionLimits.layer(limits).pipe(Layer.provide(Budgets.layerMemory))),
    Layer.provide(SupabaseAuth.layer(auth)),
    Layer.provide(accounts),
    Layer.provide(stores),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )

/** The real API on a real port (random) over stores that include the account stores (`testAccountServices`). */
export const layerAppWith = <E>(
  stores: Layer.Layer<Repo | HealthProbe | Exclude<AccountsMemory.AccountStores, Repo>, E>,
  auth: SupabaseAuth.Options,
  limits: SubmissionLimits.Options = generousLimits
) => layerAppWithServices(stores, auth, limits, testAccountServices)

export const hs256: SupabaseAuth.Options = {
  jwtSecret: Option.some(Redacted.make(jwtSecret)),
  supabaseUrl: Option.none(),
  audience: "authenticated"
}

/**
 * The real API on a real port (random) over the given stores, verifying tokens with the given options. The account
 * stores (profiles, templates, admin queries) are kept in memory over the stores' `Repo` (suites of those routes
 * use `layerAppWith` with their own).
 */
export const layerServerWith = <E>(
  stores: Layer.Layer<Repo | HealthProbe, E>,
  auth: SupabaseAuth.Options,
  limits: SubmissionLimits.Options = generousLimits
) => layerAppWith(Layer.provideMerge(AccountsMemory.layerOver, stores), auth, limits)

/** The real API on a real port (random), with real HS256 verification, over the given stores. */
export const layerServer = <E>(
  stores: Layer.Layer<Repo | HealthProbe, E>,
  limits: SubmissionLimits.Options = generousLimits
) => layerServerWith(stores, hs256, limits)

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
    /** A `multipart/form-data` body. */
    readonly form?: FormData
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
    if (options.form !== undefined) request = HttpClientRequest.bodyFormData(request, options.form)
    else if (options.raw !== undefined) request = HttpClientRequest.bodyText(request, options.raw, "application/json")
    else if (options.json !== undefined) request = yield* HttpClientRequest.bodyJson(request, options.json)
    return yield* Effect.flatMap(client.execute(request), (response) =>
      Effect.map(read(response), (reply) => ({ ...reply, headers: response.headers }))
    )
  }).pipe(Effect.scoped, Effect.orDie)
