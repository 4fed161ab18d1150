import type { SqlClient } from "@effect/sql"
import { Repo } from "@scribe/core/store/Repo"
import { type ConfigError, Effect, Layer } from "effect"
import * as EmailsRepo from "./EmailsRepo"
import * as IdempotencyRepo from "./IdempotencyRepo"
import type { QueueOrder } from "./JobLeases"
import * as JobLeases from "./JobLeases"
import * as JobsRepo from "./JobsRepo"
import * as QueueListing from "./QueueListing"
import * as QueueWeights from "./QueueWeights"
import * as UsageRepo from "./UsageRepo"
import * as UsersRepo from "./UsersRepo"

/**
 * The `Repo` port on any Postgres `SqlClient` (node-postgres or PGlite), assembled from one repository per aggregate.
 * A claimed job's writes are the job queue's (`JobLeases`). Times always come from the caller.
 */
export const makeWith = (order: QueueOrder) =>
  Effect.gen(function* () {
    const idempotency = yield* IdempotencyRepo.make
    const users = yield* UsersRepo.make
    const jobs = yield* JobsRepo.make(idempotency)
    const listing = yield* QueueListing.make(order)
    const weights = yield* QueueWeights.make
    const emails = yield* EmailsRepo.make
    const usage = yield* UsageRepo.make
    return Repo.of({
      ...users,
      ...jobs,
      ...listing,
      ...weights,
      ...emails,
      replay: idempotency.replay,
      usage: usage.usage
    })
  })

/** The `Repo`, positions in the default (fair) order. */
export const make = makeWith("fair")

/** The `Repo` on the `SqlClient` in context, positions under `order`. */
export const layerWith = (order: QueueOrder): Layer.Layer<Repo, never, SqlClient.SqlClient> =>
  Layer.effect(Repo, makeWith(order))

/** The `Repo` on the `SqlClient` in context (fair order). */
export const layer: Layer.Layer<Repo, never, SqlClient.SqlClient> = layerWith("fair")

/** The `Repo` with positions in the order `SCRIBE_QUEUE_ORDER` names. */
export const layerConfig: Layer.Layer<Repo, ConfigError.ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
  Effect.map(JobLeases.orderConfig, layerWith)
)
