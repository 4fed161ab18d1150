import { describe, expect, it } from "@effect/vitest"
import { freshUser, insertJobsFor } from "@scribe/adapters/testkit/Jobs"
import type { JobId } from "@scribe/core/Ids"
import { Repo } from "@scribe/core/store/Repo"
import * as ScriptedGenerator from "@scribe/core/testing/GeneratorScripted"
import * as Stores from "@scribe/wiring/Stores"
import { embeddedWorker, makeEmbeddedWorkerLayer, makeWorkerLayer } from "@scribe/wiring/WorkerLive"
import { ConfigProvider, Context, Effect, Layer, Option } from "effect"

const configFrom = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

const generator = ScriptedGenerator.layer({ stepMillis: 5 })

const statusOf = (repo: Context.Tag.Service<Repo>, userId: ReturnType<typeof freshUser>["id"], id: JobId) =>
  Effect.map(repo.findJob(userId, id), (job) => Option.getOrThrow(job).status)

/** The API process's composition (`main.ts`): the stores, and the embedded worker unless switched off. */
const run = (embedded: string | null) =>
  Effect.gen(function* () {
    const stores = yield* Layer.build(
      Stores.layerConfig({ requireDatabaseUrl: false }).pipe(Layer.provide(configFrom({ SCRIBE_DATA_DIR: "memory" })))
    )
    const env: Record<string, string> = { SCRIBE_WORKER_NAME: "embedded-test" }
    if (embedded !== null) env.SCRIBE_EMBEDDED_WORKER = embedded
    yield* Layer.build(
      makeEmbeddedWorkerLayer(generator).pipe(
        Layer.provide(Layer.succeedContext(stores)),
        Layer.provide(configFrom(env))
      )
    )
    const repo = Context.get(stores, Repo)
    const owner = freshUser("embedded")
    const [job] = yield* insertJobsFor(repo, owner, new Date(), ["Dr. Embedded"])
    return { stores, repo, owner, id: job!.id }
  })

const waitForStatus = (check: Effect.Effect<string, unknown>, want: string) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 10_000
    while ((yield* check) !== want) {
      if (Date.now() > deadline) throw new Error(`job never became ${want}`)
      yield* liveSleep(25)
    }
  })

describe("SCRIBE_EMBEDDED_WORKER", () => {
  it.live(
    "false: the API takes no job; the job stays pending until a worker layer starts, which takes it",
    () =>
      Effect.gen(function* () {
        const { stores, repo, owner, id } = yield* run("false")
        yield* liveSleep(1500)
        expect(yield* statusOf(repo, owner.id, id)).toBe("pending")
        yield* Layer.build(
          makeWorkerLayer(generator).pipe(
            Layer.provide(Layer.succeedContext(stores)),
            Layer.provide(configFrom({ SCRIBE_WORKER_NAME: "later" }))
          )
        )
        yield* waitForStatus(statusOf(repo, owner.id, id), "completed")
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "unset: the embedded worker takes the job",
    () =>
      Effect.gen(function* () {
        const { repo, owner, id } = yield* run(null)
        yield* waitForStatus(statusOf(repo, owner.id, id), "completed")
      }).pipe(Effect.scoped),
    60_000
  )

  it.effect("an invalid value fails at start, naming the variable", () =>
    Effect.gen(function* () {
      const built = yield* Effect.either(
        Effect.withConfigProvider(
          embeddedWorker,
          ConfigProvider.fromMap(new Map([["SCRIBE_EMBEDDED_WORKER", "perhaps"]]))
        )
      )
      expect(built._tag).toBe("Left")
      expect(String(built._tag === "Left" ? built.left : "")).toContain("SCRIBE_EMBEDDED_WORKER")
    })
  )
})
