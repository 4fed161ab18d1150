/**
 * A worker process that takes one job and holds it, for the fair-queue benchmark's crash figures: it takes through
 * the production dispatch on `DATABASE_URL` (LISTEN/NOTIFY, heartbeats), prints `held <job id>`, then does nothing
 * until it is killed.
 */
import * as PgJobQueue from "@scribe/adapters/queue/PgJobQueue"
import * as Database from "@scribe/adapters/sql/Database"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import { JobQueue } from "@scribe/core/jobs/JobQueue"
import { Effect, Layer } from "effect"

const url = process.env.DATABASE_URL ?? ""
const queue = PgJobQueue.layer({ leaseDuration: "60 seconds", pollInterval: "10 seconds" }).pipe(
  Layer.provide(JobLeases.layerWith("fair")),
  Layer.provideMerge(Database.layerPg(url, { maxConnections: 4 }))
)

Effect.gen(function* () {
  const q = yield* JobQueue
  const claim = yield* q.take(`holder-${process.pid}/0/1`)
  process.stdout.write(`held ${claim.job.id}\n`)
  yield* Effect.never
}).pipe(Effect.provide(queue), Effect.runPromise)
