import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as PgJobQueue from "../src/queue/PgJobQueue"
import * as Database from "../src/sql/Database"
import * as JobLeases from "../src/sql/JobLeases"
import * as SqlRepo from "../src/sql/SqlRepo"
import { jobQueueContract, settings } from "./JobQueueContract"

// One in-memory PGlite per order; tests truncate the tables. Wake-ups are in process.
for (const order of ["fair", "fifo"] as const) {
  jobQueueContract(`JobQueue (PGlite, in-process wake-ups, ${order} order)`, {
    layer: Database.layerPglite("memory"),
    order,
    fresh: Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users`
      const repo = yield* SqlRepo.make
      const queue = yield* PgJobQueue.make(settings).pipe(
        Effect.provideServiceEffect(JobLeases.JobLeases, JobLeases.makeWith(order))
      )
      return { repo, queue }
    })
  })
}
