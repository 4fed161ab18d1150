import type { SqlClient } from "@effect/sql"
import { Repo } from "@scribe/core/store/Repo"
import { Effect, Layer } from "effect"
import * as EmailsRepo from "./EmailsRepo"
import * as IdempotencyRepo from "./IdempotencyRepo"
import * as JobsRepo from "./JobsRepo"
import * as QueueListing from "./QueueListing"
import * as UsageRepo from "./UsageRepo"
import * as UsersRepo from "./UsersRepo"

/**
 * The `Repo` port on any Postgres `SqlClient` (node-postgres or PGlite), assembled from one repository per aggregate.
 * A claimed job's writes are the job queue's (`JobLeases`). Times always come from the caller.
 */
export const make = Effect.gen(function* () {
  const idempotency = yield* IdempotencyRepo.make
  const users = yield* UsersRepo.make
  const jobs = yield* JobsRepo.make(idempotency)
  const listing = yield* QueueListing.make
  const emails = yield* EmailsRepo.make
  const usage = yield* UsageRepo.make
  return Repo.of({
    ...users,
    ...jobs,
    ...listing,
    ...emails,
    replay: idempotency.replay,
    usage: usage.usage
  })
})

/** The `Repo` on the `SqlClient` in context. */
export const layer: Layer.Layer<Repo, never, SqlClient.SqlClient> = Layer.effect(Repo, make)
