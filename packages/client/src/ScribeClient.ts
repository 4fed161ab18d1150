import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { InternalServerError, ValidationError } from "./ApiErrors"
import { ScribeApi } from "./ScribeApi"
import {
  type BatchEmpty,
  type BatchTooLarge,
  type CannotCancel,
  EmailNotFound,
  type IdempotencyKeyReused,
  InvalidEmailId,
  InvalidQueueItemId,
  QueueItemNotFound,
  type SubmissionRateLimited,
  surfaced,
  TaskNotFound,
  type TooManyActiveJobs,
  type Unauthenticated
} from "./ServiceErrors"
import {
  isTransient,
  randomKey,
  resolveToken,
  ScribeTransportError,
  type TokenProvider,
  transport,
  validate
} from "./Transport"
import {
  BatchRequest,
  type BatchResponse,
  type EmailResponse,
  GenerateEmailRequest,
  type GenerateEmailResponse,
  HealthResponse,
  ListEmailsParams,
  type MessageResponse,
  type QueueItem as QueueItemSchema,
  type TaskStatusResponse,
  UpdateEmailRequest
} from "./Wire"

/** A stored email (`GET /api/email/{id}`). */
export type Email = typeof EmailResponse.Type
/** A generation task's status (`GET /api/email/status/{id}`): `PENDING`, `STARTED`, `SUCCESS` or `FAILURE`. */
export type TaskStatus = typeof TaskStatusResponse.Type
/** One job of the caller's queue (`GET /api/queue/`), with its 1-based position while pending. */
export type QueueItem = typeof QueueItemSchema.Type
/** The service's and its stores' health. */
export type Health = typeof HealthResponse.Type
/** One email to write: a template with `{{…}}` placeholders, a recipient and their research interest. */
export type GenerateRequest = typeof GenerateEmailRequest.Type
/** The accepted generation: poll `task_id`. */
export type GenerateResult = typeof GenerateEmailResponse.Type
/** 1–100 recipients sharing one template. */
export type BatchSubmission = typeof BatchRequest.Type
/** The ids of the queued jobs, in request order. */
export type BatchResult = typeof BatchResponse.Type
/** `{ displayed: false }` discards an email; `true` restores it. */
export type EmailUpdate = typeof UpdateEmailRequest.Type
/** Paging of `listEmails`: `limit` 1–100 (20), `offset` ≥ 0 (0), `include_discarded` (false). */
export type ListEmailsOptions = Partial<typeof ListEmailsParams.Type>
/** `{ message: "Queue item cancelled" }`. */
export type CancelResult = typeof MessageResponse.Type

export { type AccessToken, isTransient, ScribeTransportError, type TokenProvider } from "./Transport"

/** Errors any authenticated call can fail with. */
export type CommonError = Unauthenticated | InternalServerError | ScribeTransportError

/** Why `submitBatch` can refuse a batch: nothing was queued. */
export type SubmitBatchError =
  | BatchTooLarge
  | BatchEmpty
  | IdempotencyKeyReused
  | TooManyActiveJobs
  | SubmissionRateLimited
  | ValidationError
  | CommonError

/** Retries of transient failures: exponential backoff with jitter from `base` (500 ms), at most `times` (3). */
export interface RetryOptions {
  readonly times?: number
  readonly base?: Duration.DurationInput
}

/** How the client reaches the service. */
export interface Options {
  /** The service's origin, optionally with a path prefix: `https://scribe.example.com`. */
  readonly baseUrl: string | URL
  /** The bearer token for each request. */
  readonly token: TokenProvider
  /** Backoff for transient failures; `false` never retries. */
  readonly retry?: RetryOptions | false
  /** Limit per attempt, 30 s by default. */
  readonly timeout?: Duration.DurationInput
}

/** Options of a submission (`generate`, `submitBatch`). */
export interface SubmitOptions {
  /**
   * The `Idempotency-Key` sent with the submission; a random UUID by default. Pass your own to make a retry of the
   * same logical submission (e.g. after a reload) safe. The client reuses it across its own retries.
   */
  readonly idempotencyKey?: string
}

/** The Scribe API: every route of the contract, with typed results and typed errors. */
export interface Service {
  /** `GET /health`; an unhealthy service answers too (`status: "unhealthy"`). */
  readonly health: () => Effect.Effect<Health, ScribeTransportError>
  /**
   * `POST /api/email/generate`: queues one email; poll the returned `task_id`. Sent with an `Idempotency-Key`, so a
   * retry creates nothing new; `IdempotencyKeyReused` (409) if you pass a key already used for another request;
   * `TooManyActiveJobs` / `SubmissionRateLimited` (429, with `retryAfterSeconds`) past the per-user limits.
   */
  readonly generate: (
    request: GenerateRequest,
    options?: SubmitOptions
  ) => Effect.Effect<
    GenerateResult,
    IdempotencyKeyReused | TooManyActiveJobs | SubmissionRateLimited | ValidationError | CommonError
  >
  /** `GET /api/email/status/{task_id}`; `TaskNotFound` when unknown, another user's, or finished over an hour ago. */
  readonly status: (taskId: string) => Effect.Effect<TaskStatus, TaskNotFound | CommonError>
  /** `GET /api/email/{email_id}`. */
  readonly getEmail: (emailId: string) => Effect.Effect<Email, InvalidEmailId | EmailNotFound | CommonError>
  /** `GET /api/email/`: the caller's emails, newest first. */
  readonly listEmails: (
    options?: ListEmailsOptions
  ) => Effect.Effect<ReadonlyArray<Email>, ValidationError | CommonError>
  /** `PATCH /api/email/{email_id}`: discards (`displayed: false`) or restores an email. */
  readonly updateEmail: (
    emailId: string,
    update: EmailUpdate
  ) => Effect.Effect<Email, InvalidEmailId | EmailNotFound | ValidationError | CommonError>
  /**
   * `POST /api/queue/batch`: queues one email per item, all or none, in request order; `TooManyActiveJobs` /
   * `SubmissionRateLimited` (429) past the per-user limits, nothing queued.
   */
  readonly submitBatch: (
    request: BatchSubmission,
    options?: SubmitOptions
  ) => Effect.Effect<BatchResult, SubmitBatchError>
  /** `GET /api/queue/`: the caller's jobs of the last 24 hours, oldest first. */
  readonly listQueue: () => Effect.Effect<ReadonlyArray<QueueItem>, CommonError>
  /**
   * `DELETE /api/queue/{id}`: cancels a pending job. Not retried: a retry after a lost answer would report a
   * cancelled job as not found.
   */
  readonly cancel: (
    queueItemId: string
  ) => Effect.Effect<CancelResult, InvalidQueueItemId | CannotCancel | QueueItemNotFound | CommonError>
}

/** The Scribe API client, derived from the HTTP contract. Provide it with `layer`. */
export class ScribeClient extends Context.Tag("@scribe/client/ScribeClient")<ScribeClient, Service>() {}

const defaultTimeout = Duration.seconds(30)
const listDefaults = Schema.decodeSync(ListEmailsParams)({})

/** The client over whatever `HttpClient` is provided (`layer` uses `fetch`). */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const raw = yield* HttpClient.HttpClient
    const baseUrl = options.baseUrl.toString().replace(/\/+$/, "")
    const http = raw.pipe(
      HttpClient.mapRequestEffect((request) =>
        Effect.map(resolveToken(options.token), (token) =>
          token ? HttpClientRequest.bearerToken(request, token) : request
        )
      )
    )
    const api = yield* HttpApiClient.makeWith(ScribeApi, { httpClient: http, baseUrl })
    // public: never asks the token provider
    const health = yield* HttpApiClient.endpoint(ScribeApi, {
      group: "health",
      endpoint: "health",
      httpClient: raw,
      baseUrl
    })
    const timeout = options.timeout ?? defaultTimeout
    const retry = options.retry ?? {}
    const schedule =
      retry === false
        ? undefined
        : Schedule.exponential(retry.base ?? Duration.millis(500)).pipe(
            Schedule.jittered,
            Schedule.intersect(Schedule.recurs(retry.times ?? 3))
          )

    /** One attempt under the timeout, retried while transient. */
    const send = <A, E>(attempt: Effect.Effect<A, E>, retryable = true) => {
      const once = surfaced(transport(attempt)).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new ScribeTransportError({ reason: "Timeout", message: `No answer within ${Duration.format(timeout)}` })
        })
      )
      return schedule === undefined || !retryable ? once : Effect.retry(once, { schedule, while: isTransient })
    }

    const service: Service = {
      health: Effect.fn("ScribeClient.health")(function* () {
        return yield* send(
          health().pipe(Effect.catchIf(Schema.is(HealthResponse), (unhealthy) => Effect.succeed(unhealthy)))
        )
      }),
      generate: Effect.fn("ScribeClient.generate")(function* (request: GenerateRequest, submit?: SubmitOptions) {
        yield* validate(GenerateEmailRequest, "body", request)
        const key = submit?.idempotencyKey ?? randomKey()
        return yield* send(api.email.generate({ payload: request, headers: { "idempotency-key": key } }))
      }),
      status: Effect.fn("ScribeClient.status")(function* (taskId: string) {
        return yield* send(api.email.status({ path: { task_id: taskId } })).pipe(
          Effect.catchTag("TaskNotFound", () => Effect.fail(new TaskNotFound({ id: taskId })))
        )
      }),
      getEmail: Effect.fn("ScribeClient.getEmail")(function* (emailId: string) {
        return yield* send(api.email.get({ path: { email_id: emailId } })).pipe(
          Effect.catchTags({
            EmailNotFound: () => Effect.fail(new EmailNotFound({ id: emailId })),
            InvalidEmailId: (e) => Effect.fail(new InvalidEmailId({ input: emailId, reason: e.reason }))
          })
        )
      }),
      listEmails: Effect.fn("ScribeClient.listEmails")(function* (page?: ListEmailsOptions) {
        const urlParams = { ...listDefaults, ...page }
        yield* validate(ListEmailsParams, "query", urlParams)
        return yield* send(api.email.list({ urlParams }))
      }),
      updateEmail: Effect.fn("ScribeClient.updateEmail")(function* (emailId: string, update: EmailUpdate) {
        yield* validate(UpdateEmailRequest, "body", update)
        return yield* send(api.email.update({ path: { email_id: emailId }, payload: update })).pipe(
          Effect.catchTags({
            EmailNotFound: () => Effect.fail(new EmailNotFound({ id: emailId })),
            InvalidEmailId: (e) => Effect.fail(new InvalidEmailId({ input: emailId, reason: e.reason }))
          })
        )
      }),
      submitBatch: Effect.fn("ScribeClient.submitBatch")(function* (request: BatchSubmission, submit?: SubmitOptions) {
        yield* validate(BatchRequest, "body", request)
        const key = submit?.idempotencyKey ?? randomKey()
        return yield* send(api.queue.batch({ payload: request, headers: { "idempotency-key": key } }))
      }),
      listQueue: Effect.fn("ScribeClient.listQueue")(function* () {
        return yield* send(api.queue.list())
      }),
      cancel: Effect.fn("ScribeClient.cancel")(function* (queueItemId: string) {
        return yield* send(api.queue.cancel({ path: { queue_item_id: queueItemId } }), false).pipe(
          Effect.catchTags({
            QueueItemNotFound: () => Effect.fail(new QueueItemNotFound({ id: queueItemId })),
            InvalidQueueItemId: (e) => Effect.fail(new InvalidQueueItemId({ input: queueItemId, reason: e.reason }))
          })
        )
      })
    }
    return service
  })

/**
 * The client over `fetch` (browsers, Node ≥ 18, Deno, Bun). Pass `fetch` to wrap or replace the global one (e.g. for
 * logging, or a test double).
 */
export const layer = (options: Options & { readonly fetch?: typeof globalThis.fetch }): Layer.Layer<ScribeClient> => {
  const fetchLayer =
    options.fetch === undefined
      ? FetchHttpClient.layer
      : FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, options.fetch)))
  return Layer.effect(ScribeClient, make(options)).pipe(Layer.provide(fetchLayer))
}
