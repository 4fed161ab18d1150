import { HttpServer } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as Database from "@scribe/adapters/sql/Database"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import { emailFor } from "@scribe/adapters/testkit/Jobs"
import * as Polling from "@scribe/client/Polling"
import {
  type CreateScribeClientOptions,
  createScribeClient,
  isScribeError,
  ScribeAborted
} from "@scribe/client/PromiseClient"
import * as ScribeClient from "@scribe/client/ScribeClient"
import type { Job } from "@scribe/core/jobs/Job"
import { Chunk, Clock, Effect, Layer, Option, type Scope, Stream } from "effect"
import { layerServer, tokenFor } from "./TestServer"

/**
 * The SDK against the real server on a real port (embedded PGlite, real HS256 tokens, real `fetch`): every route
 * through the Effect client and through the Promise client, typed errors included.
 */

const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"
const interval = "25 millis"
const newUser = () => crypto.randomUUID()
const item = (recipient_name: string) => ({ recipient_name, recipient_interest: "graph theory" })
const request = (recipient_name: string) => ({ email_template: template, ...item(recipient_name) })

/** The operations under test, as Effects, whichever client runs them. */
interface Ops {
  readonly health: () => Effect.Effect<ScribeClient.Health, unknown>
  readonly generate: (
    r: ScribeClient.GenerateRequest,
    o?: ScribeClient.SubmitOptions
  ) => Effect.Effect<ScribeClient.GenerateResult, unknown>
  readonly status: (id: string) => Effect.Effect<ScribeClient.TaskStatus, unknown>
  readonly getEmail: (id: string) => Effect.Effect<ScribeClient.Email, unknown>
  readonly listEmails: (o?: ScribeClient.ListEmailsOptions) => Effect.Effect<ReadonlyArray<ScribeClient.Email>, unknown>
  readonly updateEmail: (id: string, u: ScribeClient.EmailUpdate) => Effect.Effect<ScribeClient.Email, unknown>
  readonly submitBatch: (
    r: ScribeClient.BatchSubmission,
    o?: ScribeClient.SubmitOptions
  ) => Effect.Effect<ScribeClient.BatchResult, unknown>
  readonly listQueue: () => Effect.Effect<ReadonlyArray<ScribeClient.QueueItem>, unknown>
  readonly cancel: (id: string) => Effect.Effect<ScribeClient.CancelResult, unknown>
  readonly generateAndWait: (r: ScribeClient.GenerateRequest) => Effect.Effect<ScribeClient.Email, unknown>
  readonly waitForTask: (id: string) => Effect.Effect<ScribeClient.Email, unknown>
  readonly watchBatch: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Polling.BatchSnapshot>, unknown>
}

interface ClientOptions {
  readonly token: () => string | undefined | Promise<string | undefined>
  readonly fetch?: typeof globalThis.fetch
}

type MakeOps = (options: ClientOptions) => Effect.Effect<Ops, never, Scope.Scope | HttpServer.HttpServer>

const baseUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "unreachable"
)

const withFetch = (options: ClientOptions) => (options.fetch === undefined ? {} : { fetch: options.fetch })

const effectClient: MakeOps = (options) =>
  Effect.gen(function* () {
    const url = yield* baseUrl
    const client = yield* ScribeClient.ScribeClient.pipe(
      Effect.provide(ScribeClient.layer({ baseUrl: url, token: options.token, retry: false, ...withFetch(options) }))
    )
    const provide = Effect.provideService(ScribeClient.ScribeClient, client)
    return {
      ...client,
      generateAndWait: (r) => provide(Polling.generateAndWait(r, { interval })),
      waitForTask: (id) => provide(Polling.waitForTask(id, { interval })),
      watchBatch: (ids) =>
        provide(Stream.runCollect(Polling.watchBatch(ids, { interval }))).pipe(Effect.map(Chunk.toReadonlyArray))
    }
  })

/** Runs a Promise; a rejection becomes the Effect's failure as thrown. */
const promised = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (error) => error })

/** A Promise client of the test server, disposed when the scope closes. */
const scopedPromiseClient = (options: Omit<CreateScribeClientOptions, "baseUrl">) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.acquireRelease(
      Effect.sync(() => createScribeClient({ baseUrl: url, ...options })),
      (c) => Effect.promise(() => c.dispose())
    )
  )

const promiseClient: MakeOps = (options) =>
  Effect.gen(function* () {
    const client = yield* scopedPromiseClient({
      getToken: options.token,
      retry: false,
      pollIntervalMs: 25,
      ...withFetch(options)
    })
    return {
      health: () => promised(() => client.health()),
      generate: (r, o) => promised(() => client.generate(r, o)),
      status: (id) => promised(() => client.status(id)),
      getEmail: (id) => promised(() => client.getEmail(id)),
      listEmails: (o) => promised(() => client.listEmails(o)),
      updateEmail: (id, u) => promised(() => client.updateEmail(id, u)),
      submitBatch: (r, o) => promised(() => client.submitBatch(r, o)),
      listQueue: () => promised(() => client.listQueue()),
      cancel: (id) => promised(() => client.cancel(id)),
      generateAndWait: (r) => promised(() => client.generateAndWait(r)),
      waitForTask: (id) => promised(() => client.waitForTask(id)),
      watchBatch: (ids) =>
        promised(async () => {
          const snapshots: Array<Polling.BatchSnapshot> = []
          for await (const snapshot of client.watchBatch(ids)) snapshots.push(snapshot)
          return snapshots
        })
    }
  })

/** A fresh user's token, and a client for them. */
const signedIn = (makeOps: MakeOps, options: Omit<ClientOptions, "token"> = {}) =>
  Effect.gen(function* () {
    const token = yield* tokenFor(newUser())
    return yield* makeOps({ ...options, token: () => token })
  })

/** Records every request a client sends, and lets a test rewrite the request on the way (a mangling proxy). */
const recordingFetch = (rewrite: (init: RequestInit) => RequestInit = (init) => init) => {
  const sent: Array<{ readonly method: string; readonly url: string; readonly headers: Headers }> = []
  const fetch: typeof globalThis.fetch = (input, init = {}) => {
    const url = input instanceof Request ? input.url : input.toString()
    sent.push({ method: init.method ?? "GET", url, headers: new Headers(init.headers) })
    return globalThis.fetch(input, rewrite(init))
  }
  return { fetch, sent }
}

/** A fresh user's Promise client, polling every 20 ms, and the record of the requests it sends. */
const recordedPromiseClient = Effect.gen(function* () {
  const token = yield* tokenFor(newUser())
  const recorder = recordingFetch()
  const client = yield* scopedPromiseClient({ getToken: () => token, fetch: recorder.fetch, pollIntervalMs: 20 })
  return { client, recorder }
})

/** Moves the first job in line to `processing`, as a worker would. */
const claimNext = Effect.gen(function* () {
  const leases = yield* JobLeases.JobLeases
  const now = new Date(yield* Clock.currentTimeMillis)
  return yield* leases.claimNext({ workerId: "test", now, leaseUntil: new Date(now.getTime() + 60_000) })
}).pipe(Effect.orDie)

/** Claims jobs up to and including `id`. */
const claimUpTo = (id: string) =>
  Effect.gen(function* () {
    for (;;) {
      const claimed = yield* claimNext
      if (Option.isNone(claimed) || claimed.value.id === id) return
    }
  })

/**
 * A stand-in worker for the life of the test: reports progress, then completes each job with an email, or fails it
 * in `web_scraper` when the recipient's name starts with "Fail".
 */
const fakeWorker = Effect.gen(function* () {
  const leases = yield* JobLeases.JobLeases
  const work = (job: Job) =>
    Effect.gen(function* () {
      const lease = { jobId: job.id, workerId: "test" }
      const now = new Date(yield* Clock.currentTimeMillis)
      const stepTimings = { template_parser: 0.2 }
      yield* leases.progress(lease, { step: "web_scraper", stepTimings })
      if (job.recipientName.startsWith("Fail")) {
        yield* leases.fail(lease, {
          message: "Search is down",
          type: "UpstreamError",
          failedStep: "web_scraper",
          stepTimings,
          now
        })
        return
      }
      const email = emailFor(job, now, { metadata: { papers_used: [] } })
      yield* leases.complete(lease, { email, generationTime: 1.5, stepTimings, now })
    })
  const loop = Effect.gen(function* () {
    for (;;) {
      const claimed = yield* claimNext
      if (Option.isSome(claimed)) yield* work(claimed.value)
      else yield* Effect.sleep("10 millis")
    }
  })
  yield* Effect.forkScoped(Effect.orDie(loop))
})

/** The error a client failed with. */
const failure = <A>(effect: Effect.Effect<A, unknown>) => Effect.flip(effect)

const routes = (makeOps: MakeOps) => ({
  health: Effect.gen(function* () {
    const api = yield* makeOps({ token: () => undefined })
    expect(yield* api.health()).toEqual({ status: "healthy", database: "ok", redis: "not_configured" })
  }),

  generateAndStatus: Effect.gen(function* () {
    const api = yield* signedIn(makeOps)
    const { task_id } = yield* api.generate(request("Dr. Ada Lovelace"))
    expect(yield* api.status(task_id)).toEqual({ task_id, status: "PENDING", result: null, error: null })
    expect(yield* api.listQueue()).toMatchObject([
      { id: task_id, status: "pending", recipient_name: "Dr. Ada Lovelace" }
    ])
    const notFound = yield* failure(api.status(crypto.randomUUID()))
    expect(notFound).toMatchObject({ _tag: "TaskNotFound" })
  }),

  validation: Effect.gen(function* () {
    // refused before sending, with the server's 422 shape
    const local = recordingFetch()
    const api = yield* signedIn(makeOps, { fetch: local.fetch })
    const refused = yield* failure(
      api.generate({ email_template: "no placeholder", recipient_name: "A", recipient_interest: "engines" })
    )
    expect(refused).toMatchObject({
      _tag: "ValidationError",
      detail: [
        { loc: ["body", "email_template"], type: "value_error" },
        { loc: ["body", "recipient_name"], msg: "String should have at least 2 characters", type: "string_too_short" }
      ]
    })
    const badItems = yield* failure(
      api.submitBatch({
        email_template: template,
        items: [item("A"), item("Fine"), { ...item("Bo"), recipient_interest: "" }]
      })
    )
    expect(badItems).toMatchObject({
      _tag: "ValidationError",
      detail: [{ loc: ["body", "items", 0, "recipient_name"] }, { loc: ["body", "items", 2, "recipient_interest"] }]
    })
    const badPage = yield* failure(api.listEmails({ limit: 101 }))
    expect(badPage).toMatchObject({ _tag: "ValidationError", detail: [{ loc: ["query", "limit"] }] })
    expect(local.sent).toHaveLength(0)

    // the server's own 422, decoded: a proxy mangles the body on the way
    const mangled = recordingFetch((init) => ({ ...init, body: JSON.stringify({ recipient_name: 42 }) }))
    const proxied = yield* signedIn(makeOps, { fetch: mangled.fetch })
    const server422 = yield* failure(proxied.generate(request("Ada")))
    expect(server422).toMatchObject({
      _tag: "ValidationError",
      detail: [
        { loc: ["body", "email_template"], msg: "Field required", type: "missing" },
        { loc: ["body", "recipient_name"], msg: "Input should be a valid string", type: "string_type" },
        { loc: ["body", "recipient_interest"], msg: "Field required", type: "missing" }
      ]
    })
    expect(mangled.sent).toHaveLength(1)
  }),

  emails: Effect.gen(function* () {
    const api = yield* signedIn(makeOps)
    yield* fakeWorker
    const first = yield* api.generateAndWait(request("Dr. Grace Hopper"))
    expect(first).toMatchObject({ recipient_name: "Dr. Grace Hopper", displayed: true, template_type: "research" })
    expect(first.created_at).toBeInstanceOf(Date)
    const second = yield* api.generateAndWait(request("Dr. Alan Turing"))
    expect(yield* api.getEmail(first.id)).toEqual(first)
    expect((yield* api.listEmails()).map((e) => e.id)).toEqual([second.id, first.id])
    expect((yield* api.listEmails({ limit: 1, offset: 1 })).map((e) => e.id)).toEqual([first.id])

    const discarded = yield* api.updateEmail(first.id, { displayed: false })
    expect(discarded.displayed).toBe(false)
    expect((yield* api.listEmails()).map((e) => e.id)).toEqual([second.id])
    expect((yield* api.listEmails({ include_discarded: true })).map((e) => e.id)).toEqual([second.id, first.id])

    const unknown = crypto.randomUUID()
    expect(yield* failure(api.getEmail(unknown))).toMatchObject({ _tag: "EmailNotFound", id: unknown })
    expect(yield* failure(api.updateEmail(unknown, { displayed: true }))).toMatchObject({ _tag: "EmailNotFound" })
    expect(yield* failure(api.getEmail("not-a-uuid"))).toMatchObject({
      _tag: "InvalidEmailId",
      input: "not-a-uuid",
      reason: "badly formed hexadecimal UUID string"
    })
    expect(yield* failure(api.updateEmail("xyz", { displayed: true }))).toMatchObject({ _tag: "InvalidEmailId" })
  }),

  taskFailure: Effect.gen(function* () {
    const api = yield* signedIn(makeOps)
    yield* fakeWorker
    const { task_id } = yield* api.generate(request("Failing Person"))
    const error = yield* failure(api.waitForTask(task_id))
    expect(error).toMatchObject({
      _tag: "TaskFailed",
      taskId: task_id,
      message: "Search is down",
      type: "UpstreamError",
      failedStep: "web_scraper"
    })
    expect(yield* failure(api.waitForTask(crypto.randomUUID()))).toMatchObject({ _tag: "TaskNotFound" })
  }),

  batch: Effect.gen(function* () {
    const api = yield* signedIn(makeOps)
    const { queue_item_ids: ids, message } = yield* api.submitBatch({
      email_template: template,
      items: [item("First"), item("Second"), item("Fail Third")]
    })
    expect(ids).toHaveLength(3)
    expect(message).toBe("Successfully queued 3 items")
    const queue = yield* api.listQueue()
    expect(queue.map((q) => q.id)).toEqual(ids)
    expect(queue.map((q) => q.status)).toEqual(["pending", "pending", "pending"])
    const [p1, p2] = queue.map((q) => q.position)
    expect(p2).toBe(p1! + 1)

    expect(yield* failure(api.submitBatch({ email_template: template, items: [] }))).toMatchObject({
      _tag: "BatchEmpty"
    })
    const tooMany = Array.from({ length: 101 }, (_, i) => item(`R${i}`))
    expect(yield* failure(api.submitBatch({ email_template: template, items: tooMany }))).toMatchObject({
      _tag: "BatchTooLarge",
      max: 100
    })

    yield* fakeWorker
    const snapshots = yield* api.watchBatch(ids)
    const last = snapshots.at(-1)
    expect(last?.map((q) => q.status)).toEqual(["completed", "completed", "failed"])
    expect(last?.[2]?.error_message).toBe("Search is down")
    expect(
      snapshots.slice(0, -1).every((s) => s.some((q) => q.status === "pending" || q.status === "processing"))
    ).toBe(true)
  }),

  cancel: Effect.gen(function* () {
    const api = yield* signedIn(makeOps)
    const { queue_item_ids } = yield* api.submitBatch({ email_template: template, items: [item("Keep"), item("Drop")] })
    const [keep, drop] = queue_item_ids
    expect(yield* api.cancel(drop!)).toEqual({ message: "Queue item cancelled" })
    expect(yield* failure(api.cancel(drop!))).toMatchObject({ _tag: "QueueItemNotFound", id: drop })
    expect(yield* failure(api.cancel("12345"))).toMatchObject({
      _tag: "InvalidQueueItemId",
      input: "12345",
      reason: "badly formed hexadecimal UUID string"
    })
    yield* claimUpTo(keep!)
    expect(yield* failure(api.cancel(keep!))).toMatchObject({ _tag: "CannotCancel", status: "processing" })
    expect((yield* api.listQueue()).map((q) => [q.id, q.status])).toEqual([[keep, "processing"]])
  }),

  unauthenticated: Effect.gen(function* () {
    const expired = yield* tokenFor(newUser(), { exp: Math.floor(Date.now() / 1000) - 60 })
    for (const token of [() => expired, () => undefined, () => "not.a.jwt"]) {
      const api = yield* makeOps({ token })
      const calls: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        api.generate(request("Ada")),
        api.status(crypto.randomUUID()),
        api.getEmail(crypto.randomUUID()),
        api.listEmails(),
        api.updateEmail(crypto.randomUUID(), { displayed: true }),
        api.submitBatch({ email_template: template, items: [item("Ada")] }),
        api.listQueue(),
        api.cancel(crypto.randomUUID()),
        api.waitForTask(crypto.randomUUID())
      ]
      for (const call of calls) expect(yield* failure(call)).toMatchObject({ _tag: "Unauthenticated" })
    }
    // a token provider that throws fails the same way, without a request
    const local = recordingFetch()
    const broken = yield* makeOps({ token: () => Promise.reject(new Error("refresh failed")), fetch: local.fetch })
    expect(yield* failure(broken.listQueue())).toMatchObject({
      _tag: "Unauthenticated",
      reason: expect.stringContaining("refresh failed")
    })
    expect(local.sent).toHaveLength(0)
  }),

  unreachable: Effect.gen(function* () {
    // a port nothing listens on: refused at once, reported as a transient transport error
    const api = yield* makeOps({
      token: () => "x",
      fetch: (_input, init) => globalThis.fetch("http://127.0.0.1:9/api/queue", init)
    })
    const error = yield* failure(api.listQueue())
    expect(error).toMatchObject({ _tag: "ScribeTransportError", reason: "Network" })
    expect(ScribeClient.isTransient(error)).toBe(true)
  })
})

const stores = Layer.mergeAll(SqlRepo.layer, StoreHealth.layer, JobLeases.layer).pipe(
  Layer.provideMerge(Database.layerPglite("memory"))
)

layer(Layer.provideMerge(layerServer(stores), stores), { timeout: "120 seconds", excludeTestServices: true })(
  "SDK against the real server (PGlite)",
  (it) => {
    for (const [name, makeOps] of [
      ["Effect client", effectClient],
      ["Promise client", promiseClient]
    ] as const) {
      describe(name, () => {
        const scenario = routes(makeOps)
        it.scoped("GET /health, without a token", () => scenario.health)
        it.scoped(
          "POST /api/email/generate (202) and GET /api/email/status (200, 404)",
          () => scenario.generateAndStatus
        )
        it.scoped("422: refused locally before sending, and the server's own 422 decoded", () => scenario.validation)
        it.scoped(
          "generate and wait; GET/PATCH /api/email/{id} (200, 400, 404); GET /api/email/ paging",
          () => scenario.emails
        )
        it.scoped(
          "a task that fails ends as TaskFailed with its step; an unknown task as TaskNotFound",
          () => scenario.taskFailure
        )
        it.scoped(
          "POST /api/queue/batch (201, 400 empty/too large), GET /api/queue/, watching to the end",
          () => scenario.batch
        )
        it.scoped("DELETE /api/queue/{id}: 200, 404, 400 bad id, 400 not pending", () => scenario.cancel)
        it.scoped("401 on every protected route, as Unauthenticated", () => scenario.unauthenticated)
        it.scoped("an unreachable server is a transient ScribeTransportError", () => scenario.unreachable)
      })
    }

    describe("Promise client specifics", () => {
      it.scoped("abort stops polling: the promise rejects with ScribeAborted and no request follows", () =>
        Effect.gen(function* () {
          const { client, recorder } = yield* recordedPromiseClient
          const { task_id } = yield* promised(() => client.generate(request("Dr. Patient")))
          const controller = new AbortController()
          const seen: Array<string> = []
          const waiting = client.waitForTask(task_id, {
            signal: controller.signal,
            onStatus: (s) => {
              seen.push(s.status)
              if (seen.length === 3) controller.abort()
            }
          })
          const error = yield* failure(promised(() => waiting))
          expect(error).toBeInstanceOf(ScribeAborted)
          expect(isScribeError(error)).toBe(true)
          expect(error).toMatchObject({ _tag: "ScribeAborted", name: "AbortError" })
          const polls = recorder.sent.filter((s) => s.url.includes("/status/")).length
          expect(polls).toBe(3)
          yield* Effect.sleep("100 millis")
          expect(recorder.sent.filter((s) => s.url.includes("/status/")).length).toBe(polls)
          // an already aborted signal rejects without a request
          const before = recorder.sent.length
          expect(yield* failure(promised(() => client.listQueue({ signal: controller.signal })))).toBeInstanceOf(
            ScribeAborted
          )
          expect(recorder.sent.length).toBe(before)
        })
      )

      it.scoped("submitBatchAndWatch iterates snapshots; breaking out of the loop stops polling", () =>
        Effect.gen(function* () {
          const { client, recorder } = yield* recordedPromiseClient
          const { queue_item_ids, snapshots } = yield* promised(() =>
            client.submitBatchAndWatch({ email_template: template, items: [item("Waits Forever")] })
          )
          let count = 0
          yield* promised(async () => {
            for await (const snapshot of snapshots) {
              expect(snapshot.map((q) => q.id)).toEqual(queue_item_ids)
              if (++count === 2) break
            }
          })
          const polls = recorder.sent.filter((s) => s.method === "GET").length
          expect(polls).toBe(2)
          yield* Effect.sleep("100 millis")
          expect(recorder.sent.filter((s) => s.method === "GET").length).toBe(polls)
        })
      )

      it.scoped("sends a fresh Idempotency-Key per submission", () =>
        Effect.gen(function* () {
          const recorder = recordingFetch()
          const api = yield* signedIn(promiseClient, { fetch: recorder.fetch })
          yield* api.generate(request("Ada"))
          yield* api.submitBatch({ email_template: template, items: [item("Ada")] })
          yield* api.submitBatch({ email_template: template, items: [item("Ada")] }, { idempotencyKey: "mine-1" })
          const keys = recorder.sent.map((s) => s.headers.get("idempotency-key"))
          expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/)
          expect(keys[1]).toMatch(/^[0-9a-f-]{36}$/)
          expect(keys[1]).not.toBe(keys[0])
          expect(keys[2]).toBe("mine-1")
        })
      )

      it.scoped("a batch POST retried after a lost answer creates one set of jobs", () =>
        Effect.gen(function* () {
          const token = yield* tokenFor(newUser())
          let posts = 0
          // the server receives and commits the first POST, but its answer is lost (connection reset)
          const lossy: typeof globalThis.fetch = async (input, init) => {
            const response = await globalThis.fetch(input, init)
            if (init?.method === "POST" && ++posts === 1) throw new TypeError("fetch failed: ECONNRESET")
            return response
          }
          const client = yield* scopedPromiseClient({ getToken: () => token, fetch: lossy, retry: { baseDelayMs: 10 } })
          const { queue_item_ids } = yield* promised(() =>
            client.submitBatch({ email_template: template, items: [item("Once"), item("Only")] })
          )
          expect(posts).toBe(2)
          const queue = yield* promised(() => client.listQueue())
          expect(queue.map((q) => q.id)).toEqual(queue_item_ids)
        })
      )
    })
  }
)
