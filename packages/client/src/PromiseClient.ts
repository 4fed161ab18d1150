import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { InternalServerError, ValidationError } from "./ApiErrors"
import * as Polling from "./Polling"
import * as ScribeClient from "./ScribeClient"
import type { ServiceError } from "./ServiceErrors"

/** The caller aborted the operation through its `AbortSignal`; `name` is `"AbortError"` as with `fetch`. */
export class ScribeAborted extends Error {
  readonly _tag = "ScribeAborted"
  override readonly name = "AbortError"
  constructor(reason?: unknown) {
    super("The operation was aborted", { cause: reason })
  }
  /** No HTTP answer: the caller gave up. */
  get httpStatus(): undefined {
    return undefined
  }
}

/**
 * Everything the Promise client throws, discriminated by `_tag`. Each has a `message` to show (the service's sentence;
 * for a 422 its fields, joined) and `httpStatus` (`undefined` when no HTTP error was answered):
 * - `ValidationError` (422; also raised before sending a request the contract rejects), `fields` by request path;
 * - `Unauthenticated` (401, or the token provider failed); `InternalServerError` (500);
 * - `TaskNotFound`, `EmailNotFound`, `QueueItemNotFound` (404); `InvalidEmailId`, `InvalidQueueItemId`,
 *   `CannotCancel`, `BatchTooLarge`, `BatchEmpty` (400); `IdempotencyKeyReused` (409);
 *   `TooManyActiveJobs`, `SubmissionRateLimited` (429, with `retryAfterSeconds`);
 * - `TaskFailed` (the task ended in `FAILURE`, with `failedStep`);
 * - `ScribeTransportError` (network, timeout, unexpected status or body); `ScribeAborted` (your signal fired).
 */
export type ScribeError =
  | ValidationError
  | InternalServerError
  | ServiceError
  | Polling.TaskFailed
  | ScribeClient.ScribeTransportError
  | ScribeAborted

const scribeErrorTags: ReadonlySet<string> = new Set<ScribeError["_tag"]>([
  "ValidationError",
  "Unauthenticated",
  "InternalServerError",
  "TaskNotFound",
  "EmailNotFound",
  "InvalidEmailId",
  "QueueItemNotFound",
  "InvalidQueueItemId",
  "CannotCancel",
  "BatchTooLarge",
  "BatchEmpty",
  "IdempotencyKeyReused",
  "TooManyActiveJobs",
  "SubmissionRateLimited",
  "TaskFailed",
  "ScribeTransportError",
  "ScribeAborted"
])

/** True for the errors this client throws (narrow further with `switch (error._tag)`). */
export const isScribeError = (u: unknown): u is ScribeError =>
  u instanceof Error && "_tag" in u && typeof u._tag === "string" && scribeErrorTags.has(u._tag)

/** How the client reaches the service. */
export interface CreateScribeClientOptions {
  /** The service's origin, optionally with a path prefix: `https://scribe.example.com`. */
  readonly baseUrl: string | URL
  /**
   * Called before every request, so a refreshed session is always used, e.g.
   * `async () => (await supabase.auth.getSession()).data.session?.access_token`.
   */
  readonly getToken: () => ScribeClient.AccessToken | PromiseLike<ScribeClient.AccessToken>
  /** Replaces the global `fetch` (logging, proxies, tests). */
  readonly fetch?: typeof globalThis.fetch
  /** Retries of transient failures (network, timeout, 502/503/504): `times` (3) from `baseDelayMs` (500), or `false`. */
  readonly retry?: { readonly times?: number; readonly baseDelayMs?: number } | false
  /** Limit per attempt in milliseconds (30 000). */
  readonly timeoutMs?: number
  /** Default time between polls in milliseconds (2 000). */
  readonly pollIntervalMs?: number
}

/** Every call accepts an `AbortSignal`; aborting interrupts the request or the polling (`ScribeAborted`). */
export interface CallOptions {
  readonly signal?: AbortSignal
}

/** Options of a polling helper. */
export interface PollCallOptions extends CallOptions {
  /** Time between polls for this call, in milliseconds. */
  readonly intervalMs?: number
}

/** Options of `waitForTask` and `generateAndWait`. */
export interface WaitCallOptions extends PollCallOptions {
  /** Called with every polled status, e.g. to show `result.current_step` while `STARTED`. */
  readonly onStatus?: (status: ScribeClient.TaskStatus) => void
}

/** The Scribe API for apps without Effect: every route and polling helper, rejecting with a `ScribeError`. */
export interface ScribePromiseClient {
  /** `GET /health`; an unhealthy service answers too (`status: "unhealthy"`). */
  readonly health: (options?: CallOptions) => Promise<ScribeClient.Health>
  /** Queues one email. @throws ValidationError | Unauthenticated | InternalServerError | ScribeTransportError | ScribeAborted */
  readonly generate: (
    request: ScribeClient.GenerateRequest,
    options?: CallOptions & ScribeClient.SubmitOptions
  ) => Promise<ScribeClient.GenerateResult>
  /** A task's status. @throws TaskNotFound | Unauthenticated | … */
  readonly status: (taskId: string, options?: CallOptions) => Promise<ScribeClient.TaskStatus>
  /** One email. @throws InvalidEmailId | EmailNotFound | Unauthenticated | … */
  readonly getEmail: (emailId: string, options?: CallOptions) => Promise<ScribeClient.Email>
  /** The caller's emails, newest first. @throws ValidationError | Unauthenticated | … */
  readonly listEmails: (
    page?: ScribeClient.ListEmailsOptions,
    options?: CallOptions
  ) => Promise<ReadonlyArray<ScribeClient.Email>>
  /** Discards (`displayed: false`) or restores an email. @throws InvalidEmailId | EmailNotFound | ValidationError | … */
  readonly updateEmail: (
    emailId: string,
    update: ScribeClient.EmailUpdate,
    options?: CallOptions
  ) => Promise<ScribeClient.Email>
  /** Queues 1–100 emails. @throws BatchTooLarge | BatchEmpty | ValidationError | Unauthenticated | … */
  readonly submitBatch: (
    request: ScribeClient.BatchSubmission,
    options?: CallOptions & ScribeClient.SubmitOptions
  ) => Promise<ScribeClient.BatchResult>
  /** The caller's jobs of the last 24 hours, oldest first. */
  readonly listQueue: (options?: CallOptions) => Promise<ReadonlyArray<ScribeClient.QueueItem>>
  /** Cancels a pending job. @throws InvalidQueueItemId | CannotCancel | QueueItemNotFound | … */
  readonly cancel: (queueItemId: string, options?: CallOptions) => Promise<ScribeClient.CancelResult>
  /** A task's statuses every 2 s, ending with `SUCCESS` or `FAILURE`. @throws TaskNotFound | Unauthenticated | … */
  readonly watchTask: (taskId: string, options?: PollCallOptions) => AsyncIterable<ScribeClient.TaskStatus>
  /** Waits for the task and returns its email. @throws TaskFailed | TaskNotFound | Unauthenticated | … */
  readonly waitForTask: (taskId: string, options?: WaitCallOptions) => Promise<ScribeClient.Email>
  /** `generate` then `waitForTask`. @throws ValidationError | TaskFailed | … */
  readonly generateAndWait: (
    request: ScribeClient.GenerateRequest,
    options?: WaitCallOptions & ScribeClient.SubmitOptions
  ) => Promise<ScribeClient.Email>
  /** Snapshots of the jobs every 2 s, ending when none is pending or processing. */
  readonly watchBatch: (ids: ReadonlyArray<string>, options?: PollCallOptions) => AsyncIterable<Polling.BatchSnapshot>
  /** `submitBatch`, with the batch's `snapshots` to iterate (`for await`). */
  readonly submitBatchAndWatch: (
    request: ScribeClient.BatchSubmission,
    options?: PollCallOptions & ScribeClient.SubmitOptions
  ) => Promise<ScribeClient.BatchResult & { readonly snapshots: AsyncIterable<Polling.BatchSnapshot> }>
  /** Releases the client's runtime; pending calls are interrupted. */
  readonly dispose: () => Promise<void>
}

const runOptions = (signal: AbortSignal | undefined) => (signal === undefined ? undefined : { signal })

const throwable = (cause: Cause.Cause<unknown>, signal: AbortSignal | undefined): unknown => {
  const failure = Cause.failureOption(cause)
  // the error itself, not the proxy that carries its span inside Effect (a proxy cannot be `structuredClone`d)
  if (Option.isSome(failure)) return Cause.originalError(failure.value)
  if (Cause.isInterruptedOnly(cause)) return new ScribeAborted(signal?.reason)
  return Cause.squash(cause)
}

/**
 * The Scribe client as async functions, for React and other non-Effect apps:
 *
 * ```ts
 * const scribe = createScribeClient({ baseUrl, getToken: async () => session?.access_token })
 * const email = await scribe.generateAndWait(request, { signal })
 * ```
 */
export const createScribeClient = (options: CreateScribeClientOptions): ScribePromiseClient => {
  const retry = options.retry
  const runtime = ManagedRuntime.make(
    ScribeClient.layer({
      baseUrl: options.baseUrl,
      token: options.getToken,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.timeoutMs === undefined ? {} : { timeout: Duration.millis(options.timeoutMs) }),
      ...(retry === undefined
        ? {}
        : {
            retry:
              retry === false
                ? false
                : {
                    ...(retry.times === undefined ? {} : { times: retry.times }),
                    ...(retry.baseDelayMs === undefined ? {} : { base: Duration.millis(retry.baseDelayMs) })
                  }
          })
    })
  )
  const defaultInterval = options.pollIntervalMs ?? Duration.toMillis(Polling.defaultInterval)
  const poll = (call?: PollCallOptions): Polling.PollOptions => ({
    interval: Duration.millis(call?.intervalMs ?? defaultInterval)
  })
  const wait = (call?: WaitCallOptions): Polling.WaitOptions => {
    const onStatus = call?.onStatus
    return onStatus === undefined
      ? poll(call)
      : { ...poll(call), onStatus: (status) => Effect.sync(() => onStatus(status)) }
  }
  const submit = (call?: ScribeClient.SubmitOptions): ScribeClient.SubmitOptions =>
    call?.idempotencyKey === undefined ? {} : { idempotencyKey: call.idempotencyKey }

  const run = async <A, E>(
    effect: Effect.Effect<A, E, ScribeClient.ScribeClient>,
    call: CallOptions | undefined
  ): Promise<A> => {
    const signal = call?.signal
    if (signal?.aborted) throw new ScribeAborted(signal.reason)
    const exit = await runtime.runPromiseExit(effect, runOptions(signal))
    if (Exit.isSuccess(exit)) return exit.value
    throw throwable(exit.cause, signal)
  }

  const withClient = <A, E>(f: (client: ScribeClient.Service) => Effect.Effect<A, E>, call: CallOptions | undefined) =>
    run(Effect.flatMap(ScribeClient.ScribeClient, f), call)

  /** Pulls the stream chunk by chunk, each pull interruptible by the signal; leaving the loop closes the stream. */
  const iterate = <A, E>(
    stream: Stream.Stream<A, E, ScribeClient.ScribeClient>,
    call: CallOptions | undefined
  ): AsyncIterable<A> => ({
    async *[Symbol.asyncIterator]() {
      const signal = call?.signal
      if (signal?.aborted) throw new ScribeAborted(signal.reason)
      const scope = await runtime.runPromise(Scope.make())
      try {
        const pull = await runtime.runPromise(Scope.extend(Stream.toPull(stream), scope))
        while (true) {
          const exit = await runtime.runPromiseExit(pull, runOptions(signal))
          if (Exit.isSuccess(exit)) {
            yield* exit.value
            continue
          }
          const failure = Cause.failureOption(exit.cause)
          if (Option.isSome(failure)) {
            if (Option.isNone(failure.value)) return
            throw Cause.originalError(failure.value.value)
          }
          throw throwable(exit.cause, signal)
        }
      } finally {
        await runtime.runPromise(Scope.close(scope, Exit.void))
      }
    }
  })

  return {
    health: (call) => withClient((c) => c.health(), call),
    generate: (request, call) => withClient((c) => c.generate(request, submit(call)), call),
    status: (taskId, call) => withClient((c) => c.status(taskId), call),
    getEmail: (emailId, call) => withClient((c) => c.getEmail(emailId), call),
    listEmails: (page, call) => withClient((c) => c.listEmails(page), call),
    updateEmail: (emailId, update, call) => withClient((c) => c.updateEmail(emailId, update), call),
    submitBatch: (request, call) => withClient((c) => c.submitBatch(request, submit(call)), call),
    listQueue: (call) => withClient((c) => c.listQueue(), call),
    cancel: (queueItemId, call) => withClient((c) => c.cancel(queueItemId), call),
    watchTask: (taskId, call) => iterate(Polling.watchTask(taskId, poll(call)), call),
    waitForTask: (taskId, call) => run(Polling.waitForTask(taskId, wait(call)), call),
    generateAndWait: (request, call) => run(Polling.generateAndWait(request, { ...wait(call), ...submit(call) }), call),
    watchBatch: (ids, call) => iterate(Polling.watchBatch(ids, poll(call)), call),
    submitBatchAndWatch: async (request, call) => {
      const result = await withClient((c) => c.submitBatch(request, submit(call)), call)
      return { ...result, snapshots: iterate(Polling.watchBatch(result.queue_item_ids, poll(call)), call) }
    },
    dispose: () => runtime.dispose()
  }
}
