import { describe, expect, layer } from "@effect/vitest"
import { type ChatRequest, Reply } from "@scribe/adapters/testkit/FakeLlm"
import * as People from "@scribe/adapters/testkit/People"
import { pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import { tempDatabaseUrl } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import * as World from "@scribe/adapters/testkit/World"
import * as PipelineLive from "@scribe/wiring/PipelineLive"
import * as Stores from "@scribe/wiring/Stores"
import { makeWorkerLayer } from "@scribe/wiring/WorkerLive"
import { Deferred, Effect, Either, Layer, ParseResult, Schema } from "effect"
import { call, type Reply as HttpReply, hs256, layerAppWith, tokenFor } from "./TestServer"

/*
 * The original web frontend's flow, over real HTTP, against the service as deployed: the real API, the real worker
 * and pipeline, the SQL stores (profiles and templates included) on PGlite or PostgreSQL, every upstream simulated.
 * Every response, each poll included, is checked against the shapes below. They are written here, independently of
 * the contract in packages/client, and strict (an unknown key, a missing key or a `null` where the frontend reads a
 * string fails), so a change of the wire shapes shows up here even when the contract moved with it.
 */

// ---------------------------------------------------------------------------------------------------------------
// The shapes the frontend validates responses against

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const Uuid = Schema.String.pipe(Schema.pattern(uuidPattern, { message: () => "a lower-case UUID" })).annotations({
  identifier: "Uuid"
})
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/
const IsoTimestamp = Schema.String.pipe(
  Schema.filter((s) => (isoPattern.test(s) && !Number.isNaN(Date.parse(s))) || "an ISO 8601 UTC timestamp ending in Z")
).annotations({ identifier: "IsoTimestamp" })
const Count = Schema.Number.pipe(Schema.int(), Schema.nonNegative())
const Step = Schema.Literal("template_parser", "web_scraper", "arxiv_helper", "email_composer")
const steps: ReadonlyArray<string> = Step.literals
const StepTimings = Schema.Record({ key: Schema.String, value: Schema.Number.pipe(Schema.nonNegative()) }).pipe(
  Schema.filter((timings) => Object.keys(timings).every((k) => steps.includes(k)) || "step timings keyed by step")
)

const UserResponse = Schema.Struct({
  id: Uuid,
  email: Schema.String,
  display_name: Schema.NullOr(Schema.String),
  generation_count: Count,
  template_count: Count,
  onboarded: Schema.Boolean,
  email_template: Schema.NullOr(Schema.String),
  created_at: IsoTimestamp
})

const TemplateResponse = Schema.Struct({
  id: Uuid,
  user_id: Uuid,
  pdf_url: Schema.NullOr(Schema.String),
  template_text: Schema.String,
  user_instructions: Schema.String,
  generator: Schema.Literal("llm", "deterministic"),
  created_at: IsoTimestamp
})

const GenerateResponse = Schema.Struct({ task_id: Uuid })

const TaskStatus = Schema.Union(
  Schema.Struct({
    task_id: Uuid,
    status: Schema.Literal("PENDING"),
    result: Schema.Null,
    error: Schema.Null
  }).annotations({ identifier: "PendingTask" }),
  Schema.Struct({
    task_id: Uuid,
    status: Schema.Literal("STARTED"),
    result: Schema.Struct({ current_step: Step, step_status: Schema.NonEmptyString, step_timings: StepTimings }),
    error: Schema.Null
  }).annotations({ identifier: "StartedTask" }),
  Schema.Struct({
    task_id: Uuid,
    status: Schema.Literal("SUCCESS"),
    result: Schema.Struct({
      email_id: Uuid,
      generation_time: Schema.Number.pipe(Schema.positive()),
      step_timings: StepTimings
    }),
    error: Schema.Null
  }).annotations({ identifier: "SuccessTask" }),
  Schema.Struct({
    task_id: Uuid,
    status: Schema.Literal("FAILURE"),
    result: Schema.Null,
    // `failed_step` is a string when the step is known and absent (never null) otherwise.
    error: Schema.Struct({
      message: Schema.NonEmptyString,
      type: Schema.NonEmptyString,
      failed_step: Schema.optionalWith(Step, { exact: true })
    })
  }).annotations({ identifier: "FailureTask" })
)
type TaskStatus = typeof TaskStatus.Type

const EmailResponse = Schema.Struct({
  id: Uuid,
  user_id: Uuid,
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  email_message: Schema.NonEmptyString,
  template_type: Schema.NullOr(Schema.Literal("research", "book", "general")),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  is_confident: Schema.Boolean,
  displayed: Schema.Boolean,
  created_at: IsoTimestamp
})
type EmailResponse = typeof EmailResponse.Type

const BatchResponse = Schema.Struct({ queue_item_ids: Schema.Array(Uuid), message: Schema.NonEmptyString })
const MessageResponse = Schema.Struct({ message: Schema.NonEmptyString })
const DetailResponse = Schema.Struct({ detail: Schema.NonEmptyString })

/** A queue item, by status: what each state always carries and what it never does. */
const queueFields = {
  id: Uuid,
  batch_id: Schema.NullOr(Uuid),
  recipient_name: Schema.String,
  recipient_interest: Schema.String,
  attempts: Count,
  created_at: IsoTimestamp
}
const QueueItem = Schema.Union(
  Schema.Struct({
    ...queueFields,
    status: Schema.Literal("pending"),
    position: Schema.Number.pipe(Schema.int(), Schema.positive()),
    current_step: Schema.Null,
    email_id: Schema.Null,
    error_message: Schema.NullOr(Schema.String),
    started_at: Schema.NullOr(IsoTimestamp),
    completed_at: Schema.Null
  }).annotations({ identifier: "PendingItem" }),
  Schema.Struct({
    ...queueFields,
    status: Schema.Literal("processing"),
    position: Schema.Null,
    current_step: Step,
    email_id: Schema.Null,
    error_message: Schema.NullOr(Schema.String),
    started_at: IsoTimestamp,
    completed_at: Schema.Null
  }).annotations({ identifier: "ProcessingItem" }),
  Schema.Struct({
    ...queueFields,
    status: Schema.Literal("completed"),
    position: Schema.Null,
    current_step: Schema.Null,
    email_id: Uuid,
    error_message: Schema.Null,
    started_at: IsoTimestamp,
    completed_at: IsoTimestamp
  }).annotations({ identifier: "CompletedItem" }),
  Schema.Struct({
    ...queueFields,
    status: Schema.Literal("failed"),
    position: Schema.Null,
    current_step: Schema.Null,
    email_id: Schema.Null,
    error_message: Schema.NonEmptyString,
    started_at: IsoTimestamp,
    completed_at: IsoTimestamp
  }).annotations({ identifier: "FailedItem" })
)
type QueueItem = typeof QueueItem.Type
const QueueList = Schema.Array(QueueItem)

/** Decodes `reply`'s body with `schema`, strictly (no unknown keys), after checking its status; throws otherwise. */
const expectShape = <A, I>(reply: HttpReply, status: number, schema: Schema.Schema<A, I>, what: string): A => {
  expect(reply.status, `${what}: ${JSON.stringify(reply.body)}`).toBe(status)
  const decoded = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "all" })(reply.body)
  if (Either.isLeft(decoded)) {
    throw new Error(
      `${what}: the body breaks the frontend's shape\n${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}\n` +
        `body: ${JSON.stringify(reply.body, null, 2)}`
    )
  }
  return decoded.right
}

const ordered = (...times: ReadonlyArray<string | null>) => {
  const known = times.filter((t): t is string => t !== null).map((t) => Date.parse(t))
  for (let i = 1; i < known.length; i++) expect(known[i]).toBeGreaterThanOrEqual(known[i - 1]!)
}

// ---------------------------------------------------------------------------------------------------------------
// The world's model, with gates: an email_draft call for an interest carrying a gate's marker waits for the gate

const gates = new Map<string, Deferred.Deferred<void>>()
const failing = "[fails]"
const model = pipelineModel({
  override: (request) =>
    request.schemaName === "email_draft" && request.prompt.includes(failing) ? Reply.invalidApiKey() : undefined
})
const gatedModel = async (request: ChatRequest) => {
  if (request.schemaName === "email_draft") {
    for (const [marker, gate] of gates) {
      if (request.prompt.includes(marker)) await Effect.runPromise(Deferred.await(gate))
    }
  }
  return model(request)
}

/** A gate for `marker`: the jobs whose interest carries it stop at composing until `open` runs. */
const gate = (marker: string) =>
  Effect.gen(function* () {
    const deferred = yield* Deferred.make<void>()
    gates.set(marker, deferred)
    return {
      interest: (person: People.Person) => `${person.interest} ${marker}`,
      open: Deferred.succeed(deferred, undefined)
    }
  })

const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** GETs `path` every 40 ms (real time, 60 s at most), checking each answer's shape, until `accept` holds. */
const pollUntil = <A, I>(
  path: string,
  token: string,
  schema: Schema.Schema<A, I>,
  accept: (value: A) => boolean,
  seen: Array<A> = []
) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const value = expectShape(yield* call("GET", path, { token }), 200, schema, `GET ${path}`)
      seen.push(value)
      if (accept(value)) return value
      yield* liveSleep(40)
    }
    throw new Error(`GET ${path} never matched; last: ${JSON.stringify(seen.at(-1))}`)
  })

/** The distinct values of a sequence, in order (`A A B A` → `A B A`). */
const runs = (values: ReadonlyArray<string>) => values.filter((v, i) => i === 0 || values[i - 1] !== v)

// ---------------------------------------------------------------------------------------------------------------
// The service: the production wiring of the stores and the worker, one job at a time, the API on a real port

const appOn = (database: "pglite" | "postgres") =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const world = yield* World.make({ scale: 0.02 })
      world.llm.setScript(gatedModel)
      const location =
        database === "postgres" ? { DATABASE_URL: yield* tempDatabaseUrl } : { SCRIBE_DATA_DIR: "memory" }
      const config = Layer.setConfigProvider(
        world.configProvider({
          ...location,
          SCRIBE_WORKER_NAME: `flow-${database}`,
          SCRIBE_WORKER_CONCURRENCY: "1",
          SCRIBE_RETRY_BASE_SECONDS: "0.2",
          SCRIBE_RETRY_MAX_SECONDS: "2"
        })
      )
      const stores = Stores.layerConfig({ requireDatabaseUrl: false }).pipe(Layer.provide(config))
      const worker = makeWorkerLayer(PipelineLive.layerConfig).pipe(Layer.provide(config))
      return Layer.mergeAll(layerAppWith(stores, hs256), worker, Layer.succeed(World.World, world)).pipe(
        Layer.provideMerge(stores)
      )
    })
  )

const template =
  "Dear {{name}},\n\nI read your work on {{research}} with great interest and would love to join your group.\n\nBest,\nSam"

/** A signed-in user of their own, as Supabase issues them: a UUID subject and an email. */
const signIn = () =>
  Effect.gen(function* () {
    const id = crypto.randomUUID()
    return { id, email: `${id}@uni.edu`, token: yield* tokenFor(id, { email: `${id}@uni.edu` }) }
  })

const flow = (name: string, database: "pglite" | "postgres") =>
  layer(appOn(database), { timeout: "180 seconds", excludeTestServices: true })(name, (it) => {
    describe("the frontend's flow", () => {
      it.effect(
        "sign-up, onboarding, one email polled through every state, history, discard, a batch polled and cancelled",
        () =>
          Effect.gen(function* () {
            const me = yield* signIn()
            const { token } = me

            // -- Sign-up and onboarding ---------------------------------------------------------------------
            const initialised = expectShape(
              yield* call("POST", "/api/user/init", { token, json: { display_name: "Sam Rivera" } }),
              201,
              UserResponse,
              "POST /api/user/init"
            )
            expect(initialised).toMatchObject({
              id: me.id,
              email: me.email,
              display_name: "Sam Rivera",
              generation_count: 0,
              template_count: 0,
              onboarded: false,
              email_template: null
            })
            const again = expectShape(
              yield* call("POST", "/api/user/init", { token, json: { display_name: "Someone Else" } }),
              201,
              UserResponse,
              "POST /api/user/init, again"
            )
            expect(again).toEqual(initialised)
            const fresh = yield* signIn()
            const unnamed = expectShape(
              yield* call("POST", "/api/user/init", { token: fresh.token, json: {} }),
              201,
              UserResponse,
              "POST /api/user/init without a name"
            )
            expect(unnamed.display_name).toBeNull()

            const onboarded = expectShape(
              yield* call("PATCH", "/api/user/onboarding", { token }),
              200,
              UserResponse,
              "PATCH /api/user/onboarding"
            )
            expect(onboarded).toEqual({ ...initialised, onboarded: true })

            // -- A template from the résumé, then kept in the profile -----------------------------------------
            const form = new FormData()
            const pdf = yield* Effect.promise(() => Resumes.twoPageResume())
            form.append("file", new Blob([pdf], { type: "application/pdf" }), "cv.pdf")
            form.append("user_instructions", "Keep it short and mention my graph algorithms research.")
            const written = expectShape(
              yield* call("POST", "/api/templates/", { token, form }),
              201,
              TemplateResponse,
              "POST /api/templates/"
            )
            expect(written).toMatchObject({ user_id: me.id, pdf_url: null })
            const templates = expectShape(
              yield* call("GET", "/api/templates/", { token }),
              200,
              Schema.Array(TemplateResponse),
              "GET /api/templates/"
            )
            expect(templates).toEqual([written])
            expectShape(
              yield* call("GET", `/api/templates/${written.id}`, { token }),
              200,
              TemplateResponse,
              "GET /api/templates/{id}"
            )

            const saved = expectShape(
              yield* call("PATCH", "/api/user/template", { token, json: { template } }),
              200,
              UserResponse,
              "PATCH /api/user/template"
            )
            expect(saved).toEqual({ ...onboarded, email_template: template, template_count: 1 })
            const profile = expectShape(
              yield* call("GET", "/api/user/profile", { token }),
              200,
              UserResponse,
              "GET /api/user/profile"
            )
            expect(profile).toEqual(saved)

            // -- One email, its status polled through PENDING, STARTED and SUCCESS ----------------------------
            // Another user's job holds the only worker slot, so ours is seen waiting; ours then stops at composing.
            const blocker = yield* gate("[blocker]")
            const mine = yield* gate("[single]")
            const other = yield* signIn()
            expectShape(
              yield* call("POST", "/api/email/generate", {
                token: other.token,
                json: {
                  email_template: template,
                  recipient_name: People.alan.asTyped,
                  recipient_interest: blocker.interest(People.alan)
                }
              }),
              202,
              GenerateResponse,
              "POST /api/email/generate (another user)"
            )
            const { task_id: taskId } = expectShape(
              yield* call("POST", "/api/email/generate", {
                token,
                json: {
                  email_template: template,
                  recipient_name: People.ada.asTyped,
                  recipient_interest: mine.interest(People.ada)
                }
              }),
              202,
              GenerateResponse,
              "POST /api/email/generate"
            )
            const polls: Array<TaskStatus> = []
            const statusPath = `/api/email/status/${taskId}`
            yield* pollUntil(statusPath, token, TaskStatus, (t) => t.status === "PENDING", polls)
            yield* blocker.open
            yield* pollUntil(
              statusPath,
              token,
              TaskStatus,
              (t) => t.status === "STARTED" && t.result.current_step === "email_composer",
              polls
            )
            const whileComposing = expectShape(
              yield* call("GET", "/api/queue/", { token }),
              200,
              QueueList,
              "GET /api/queue/ while composing"
            )
            expect(whileComposing).toMatchObject([
              { id: taskId, batch_id: null, status: "processing", current_step: "email_composer" }
            ])
            yield* mine.open
            const done = yield* pollUntil(statusPath, token, TaskStatus, (t) => t.status !== "STARTED", polls)
            expect(runs(polls.map((t) => t.status))).toEqual(["PENDING", "STARTED", "SUCCESS"])
            for (const t of polls) expect(t.task_id).toBe(taskId)
            if (done.status !== "SUCCESS") throw new Error(`the email failed: ${JSON.stringify(done)}`)
            expect(Object.keys(done.result.step_timings).sort()).toEqual([...steps].sort())

            // -- The email, the history, discarding it --------------------------------------------------------
            const emailId = done.result.email_id
            const email = expectShape(
              yield* call("GET", `/api/email/${emailId}`, { token }),
              200,
              EmailResponse,
              "GET /api/email/{id}"
            )
            expect(email).toMatchObject({
              id: emailId,
              user_id: me.id,
              recipient_name: People.ada.asTyped,
              recipient_interest: mine.interest(People.ada),
              displayed: true
            })
            expect(email.email_message).not.toMatch(/\{\{|\}\}/)
            const history = expectShape(
              yield* call("GET", "/api/email/?limit=20&offset=0", { token }),
              200,
              Schema.Array(EmailResponse),
              "GET /api/email/"
            )
            expect(history).toEqual([email])
            const counted = expectShape(
              yield* call("GET", "/api/user/profile", { token }),
              200,
              UserResponse,
              "GET /api/user/profile after an email"
            )
            expect(counted).toEqual({ ...saved, generation_count: 1 })

            const discarded = expectShape(
              yield* call("PATCH", `/api/email/${emailId}`, { token, json: { displayed: false } }),
              200,
              EmailResponse,
              "PATCH /api/email/{id} (discard)"
            )
            expect(discarded).toEqual({ ...email, displayed: false })
            const afterDiscard = expectShape(
              yield* call("GET", "/api/email/", { token }),
              200,
              Schema.Array(EmailResponse),
              "GET /api/email/ after discarding"
            )
            expect(afterDiscard).toEqual([])
            const everything = expectShape(
              yield* call("GET", "/api/email/?include_discarded=true", { token }),
              200,
              Schema.Array(EmailResponse),
              "GET /api/email/?include_discarded=true"
            )
            expect(everything).toEqual([discarded])

            // -- A batch: the queue polled while it runs, a pending item cancelled ----------------------------
            const batchGate = yield* gate("[batch]")
            const items = [
              { recipient_name: People.ada.asTyped, recipient_interest: batchGate.interest(People.ada) },
              { recipient_name: People.alan.asTyped, recipient_interest: `${People.alan.interest} ${failing}` },
              { recipient_name: People.nobody.asTyped, recipient_interest: People.nobody.interest },
              { recipient_name: People.mallory.asTyped, recipient_interest: People.mallory.interest }
            ]
            const batch = expectShape(
              yield* call("POST", "/api/queue/batch", { token, json: { email_template: template, items } }),
              201,
              BatchResponse,
              "POST /api/queue/batch"
            )
            expect(batch.queue_item_ids).toHaveLength(items.length)
            const [first, failed, last, toCancel] = batch.queue_item_ids as [string, string, string, string]
            const queuePolls: Array<ReadonlyArray<QueueItem>> = []
            const byId = (list: ReadonlyArray<QueueItem>, id: string) => list.find((item) => item.id === id)
            const running = yield* pollUntil(
              "/api/queue/",
              token,
              QueueList,
              (list) =>
                byId(list, first)?.status === "processing" && byId(list, first)?.current_step === "email_composer",
              queuePolls
            )
            expect(running.map((item) => item.id)).toEqual([taskId, ...batch.queue_item_ids])
            expect(running.map((item) => [item.status, item.position])).toEqual([
              ["completed", null],
              ["processing", null],
              ["pending", 1],
              ["pending", 2],
              ["pending", 3]
            ])
            const batchIds = new Set(running.slice(1).map((item) => item.batch_id))
            expect(batchIds.size).toBe(1)
            expect([...batchIds][0]).not.toBeNull()

            const cancelled = expectShape(
              yield* call("DELETE", `/api/queue/${toCancel}`, { token }),
              200,
              MessageResponse,
              "DELETE /api/queue/{id}"
            )
            expect(cancelled.message).toBeTruthy()
            expectShape(
              yield* call("DELETE", `/api/queue/${first}`, { token }),
              400,
              DetailResponse,
              "DELETE /api/queue/{id} of a processing item"
            )
            expectShape(
              yield* call("GET", `/api/email/status/${toCancel}`, { token }),
              404,
              DetailResponse,
              "GET /api/email/status/{id} of a cancelled item"
            )
            yield* batchGate.open
            const settled = yield* pollUntil(
              "/api/queue/",
              token,
              QueueList,
              (list) => list.every((item) => item.status === "completed" || item.status === "failed"),
              queuePolls
            )
            expect(settled.map((item) => [item.id, item.status])).toEqual([
              [taskId, "completed"],
              [first, "completed"],
              [failed, "failed"],
              [last, "completed"]
            ])
            for (const list of queuePolls) {
              for (const item of list) ordered(item.created_at, item.started_at, item.completed_at)
            }
            // The frontend saw the batch advance through the queue: the item after the gated one was processing.
            expect(queuePolls.some((list) => byId(list, failed)?.status === "processing")).toBe(true)

            const failure = expectShape(
              yield* call("GET", `/api/email/status/${failed}`, { token }),
              200,
              TaskStatus,
              "GET /api/email/status/{id} of a failed item"
            )
            expect(failure).toMatchObject({
              status: "FAILURE",
              error: { type: "AuthenticationError", failed_step: "email_composer" }
            })
            for (const id of [first, last]) {
              const finished = expectShape(
                yield* call("GET", `/api/email/status/${id}`, { token }),
                200,
                TaskStatus,
                "GET /api/email/status/{id} of a batch item"
              )
              expect(finished.status).toBe("SUCCESS")
              if (finished.status !== "SUCCESS") continue
              const item = byId(settled, id)!
              expect(item.email_id).toBe(finished.result.email_id)
              expectShape(
                yield* call("GET", `/api/email/${finished.result.email_id}`, { token }),
                200,
                EmailResponse,
                "GET /api/email/{id} of a batch item"
              )
            }
            const finalHistory = expectShape(
              yield* call("GET", "/api/email/", { token }),
              200,
              Schema.Array(EmailResponse),
              "GET /api/email/ after the batch"
            )
            expect(finalHistory.map((e: EmailResponse) => e.recipient_name).sort()).toEqual(
              [People.ada.asTyped, People.nobody.asTyped].sort()
            )
            const finalProfile = expectShape(
              yield* call("GET", "/api/user/profile", { token }),
              200,
              UserResponse,
              "GET /api/user/profile after the batch"
            )
            expect(finalProfile.generation_count).toBe(3)
          }).pipe(
            Effect.ensuring(Effect.suspend(() => Effect.forEach(gates.values(), (g) => Deferred.succeed(g, undefined))))
          ),
        { timeout: 180_000 }
      )
    })
  })

flow("the frontend's flow on embedded PGlite", "pglite")

await describePostgres("the frontend's flow on Postgres", () => flow("the frontend's flow on Postgres", "postgres"))
