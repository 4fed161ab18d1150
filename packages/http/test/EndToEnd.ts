import type * as People from "@scribe/adapters/testkit/People"
import { pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import * as World from "@scribe/adapters/testkit/World"
import * as PipelineLive from "@scribe/wiring/PipelineLive"
import * as Stores from "@scribe/wiring/Stores"
import { makeWorkerLayer } from "@scribe/wiring/WorkerLive"
import { Effect, Layer } from "effect"
import { expect } from "vitest"
import { call, layerServer, type Reply, tokenFor } from "./TestServer"

/**
 * The service end to end: the real API on a real port, the real worker and pipeline on embedded PGlite (as
 * `pnpm start` runs), and every upstream (LLM, search, pages, arXiv) a local server of the simulated world, which the
 * layer provides as `World`. `env` is the suite's configuration on top of the world's.
 */
export const layerApp = (options: { readonly env: Record<string, string>; readonly world?: World.Options }) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const world = yield* World.make({ scale: 0.02, ...options.world })
      world.llm.setScript(pipelineModel())
      const config = Layer.setConfigProvider(world.configProvider({ SCRIBE_DATA_DIR: "memory", ...options.env }))
      const stores = Stores.layerConfig({ requireDatabaseUrl: false }).pipe(Layer.provide(config))
      const worker = makeWorkerLayer(PipelineLive.layerConfig).pipe(Layer.provide(config))
      return Layer.mergeAll(layerServer(stores), worker, Layer.succeed(World.World, world)).pipe(
        Layer.provideMerge(stores)
      )
    })
  )

export const template =
  "Dear {{name}},\n\nI read {{research}} with great interest and would love to join your group.\n\nBest,\nSam"

/** A task as `GET /api/email/status/{id}` returns it. */
export type Task = { status: string; result: Record<string, unknown> | null; error: Record<string, unknown> | null }

const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Polls `check` (real time, 30 s at most) until it gives a value; `what` names what it waits for. */
export const eventually = <A, R>(what: string | (() => string), check: Effect.Effect<A | undefined, never, R>) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      const value = yield* check
      if (value !== undefined) return value
      yield* liveSleep(50)
    }
    throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`)
  })

/** A token for a new user of their own. */
export const newUserToken = () => tokenFor(crypto.randomUUID())

/** Polls a task until it has finished (SUCCESS or FAILURE). */
export const finished = (token: string, taskId: string) => {
  let last: Reply = { status: 0, body: null }
  return eventually(
    () => `task ${taskId} to finish; last: ${JSON.stringify(last)}`,
    Effect.map(call("GET", `/api/email/status/${taskId}`, { token }), (reply) => {
      last = reply
      const task = reply.body as Task | null
      return task?.status === "SUCCESS" || task?.status === "FAILURE" ? task : undefined
    })
  )
}

/** Asks for one email to `person` as the user of `token` and waits for the task to finish: its id and the task. */
export const submit = (token: string, person: People.Person, emailTemplate = template) =>
  Effect.gen(function* () {
    const created = yield* call("POST", "/api/email/generate", {
      token,
      json: { email_template: emailTemplate, recipient_name: person.asTyped, recipient_interest: person.interest }
    })
    expect(created.status).toBe(202)
    const taskId = (created.body as { task_id: string }).task_id
    return { taskId, task: yield* finished(token, taskId) }
  })

/** The email a successful task stored, as `GET /api/email/{id}` returns it (typed by the caller). */
export const emailOf = <Email>(token: string, task: Task) =>
  Effect.gen(function* () {
    const reply = yield* call("GET", `/api/email/${String(task.result?.email_id)}`, { token })
    expect(reply.status).toBe(200)
    return reply.body as Email
  })
