import { describe, expect, layer } from "@effect/vitest"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { Repo, RepoError } from "@scribe/core/store/Repo"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { call, layerServer, tokenFor } from "./TestServer"

const sqlLeak = new Error('relation "queue_items" does not exist: SELECT * FROM queue_items WHERE user_id = $1')

/** A store that fails the way a broken database does: typed store errors and, for one method, a defect. */
const broken = Layer.effect(
  Repo,
  Effect.map(RepoMemory.make, (memory) =>
    Repo.of({
      ...memory,
      listQueue: () => Effect.fail(new RepoError({ operation: "listQueue", cause: sqlLeak })),
      insertJobs: () => Effect.fail(new RepoError({ operation: "insertJobs", cause: sqlLeak })),
      submitJobs: () => Effect.fail(new RepoError({ operation: "submitJobs", cause: sqlLeak })),
      findJob: () => Effect.die(sqlLeak)
    })
  )
)
const down = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: false, redis: Option.some(true) }) })

layer(Layer.provideMerge(layerServer(Layer.merge(broken, down)), Layer.merge(broken, down)), {
  excludeTestServices: true
})("when the store fails", (it) => {
  describe("failures never leak internals", () => {
    it.effect("store errors and defects are a bare 500; health is 503", () =>
      Effect.gen(function* () {
        const token = yield* tokenFor(crypto.randomUUID())
        const internal = { status: 500, body: { detail: "Internal Server Error" } }
        expect(yield* call("GET", "/api/queue/", { token })).toEqual(internal)
        expect(
          yield* call("POST", "/api/queue/batch", {
            token,
            json: {
              email_template: "Dear {{name}}, hello there",
              items: [{ recipient_name: "Ada", recipient_interest: "xy" }]
            }
          })
        ).toEqual(internal)
        expect(yield* call("GET", `/api/email/status/${crypto.randomUUID()}`, { token })).toEqual(internal)
        expect(yield* call("GET", "/health")).toEqual({
          status: 503,
          body: { status: "unhealthy", database: "error", redis: "ok" }
        })
      })
    )
  })
})
