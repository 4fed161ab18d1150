import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as SqlAdminQueries from "@scribe/adapters/sql/SqlAdminQueries"
import * as SqlProfileRepo from "@scribe/adapters/sql/SqlProfileRepo"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import * as SqlTemplateStore from "@scribe/adapters/sql/SqlTemplateStore"
import { jobs, seedStatements, users } from "@scribe/adapters/testkit/AdminScale"
import { layerTempPostgres } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { Effect, Layer } from "effect"
import { call, hs256, layerAppWith, tokenFor } from "./TestServer"

const database = layerTempPostgres()
const stores = Layer.mergeAll(
  SqlRepo.layer,
  StoreHealth.layer,
  SqlProfileRepo.layer,
  SqlTemplateStore.layer,
  SqlAdminQueries.layer
).pipe(Layer.provideMerge(database))

/** The scale's rows (`AdminScale.ts`). */
const seed = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const statement of seedStatements) yield* sql.unsafe(statement)
}).pipe(Effect.orDie)

/** The median of `runs` timings of a GET, in milliseconds, after one warm-up call. */
const median = (path: string, token: string, runs = 5) =>
  Effect.gen(function* () {
    expect((yield* call("GET", path, { token })).status).toBe(200)
    const times: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const started = performance.now()
      const reply = yield* call("GET", path, { token })
      times.push(performance.now() - started)
      expect(reply.status).toBe(200)
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!
  })

/** The query plan's scans of `table`: an index is used, never a scan of every row. */
const plan = (query: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe<{ "QUERY PLAN": string }>(`EXPLAIN ${query}`)
    return rows.map((r) => r["QUERY PLAN"]).join("\n")
  }).pipe(Effect.orDie)

await describePostgres("admin routes at 100 000 jobs", () => {
  layer(Layer.mergeAll(layerAppWith(stores, hs256), stores), { timeout: "300 seconds", excludeTestServices: true })(
    "admin routes at 100 000 jobs",
    (it) => {
      it.effect(
        "every route answers in well under a second, the per-user and recent ones from indexes",
        () =>
          Effect.gen(function* () {
            yield* seed
            const token = yield* tokenFor(crypto.randomUUID(), { app_metadata: { role: "admin" } })
            const timings: Record<string, number> = {}
            for (const path of [
              "/api/admin/overview",
              "/api/admin/users",
              "/api/admin/users/scale-7/emails?page=2&per_page=20",
              "/api/admin/users/scale-7/templates",
              "/api/admin/users/scale-7/queue",
              "/api/admin/activity?weeks=13",
              "/api/admin/errors"
            ]) {
              timings[path] = Math.round((yield* median(path, token)) * 10) / 10
            }
            console.log(`admin routes at ${jobs} jobs, median ms: ${JSON.stringify(timings, null, 2)}`)
            for (const ms of Object.values(timings)) expect(ms).toBeLessThan(1000)

            const overview = (yield* call("GET", "/api/admin/overview", { token })).body
            expect(overview).toMatchObject({
              total_users: users + 1,
              error_count: jobs / 20,
              total_templates: 2 * users
            })

            const week = "now() - interval '7 days'"
            const indexed: ReadonlyArray<readonly [string, string]> = [
              [
                "SELECT * FROM queue_items q WHERE q.status = 'failed' ORDER BY q.created_at DESC, q.seq DESC LIMIT 50",
                "queue_items_failed_created_idx"
              ],
              [
                `SELECT count(DISTINCT user_id) FROM queue_items WHERE created_at >= ${week}`,
                "queue_items_created_user_idx"
              ],
              [`SELECT count(*) FROM emails WHERE created_at >= ${week}`, "emails_created_idx"],
              [
                "SELECT * FROM queue_items WHERE user_id = 'scale-7' ORDER BY created_at DESC, seq DESC LIMIT 100",
                "queue_items_user_created_idx"
              ],
              [
                "SELECT count(*) FROM queue_items q WHERE q.user_id = 'scale-7' AND q.status = 'failed'",
                "queue_items_user_failed_idx"
              ]
            ]
            for (const [query, index] of indexed) {
              const text = yield* plan(query)
              expect(text, query).toContain(index)
              expect(text, query).not.toMatch(/Seq Scan on queue_items/)
            }
          }),
        { timeout: 300_000 }
      )
    }
  )
})
