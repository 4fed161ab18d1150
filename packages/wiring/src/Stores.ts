import type { SqlClient } from "@effect/sql"
import * as RedisConfig from "@scribe/adapters/ops/RedisConfig"
import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as PgJobQueue from "@scribe/adapters/queue/PgJobQueue"
import * as Database from "@scribe/adapters/sql/Database"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import * as SqlAdminQueries from "@scribe/adapters/sql/SqlAdminQueries"
import * as SqlJobStats from "@scribe/adapters/sql/SqlJobStats"
import * as SqlProfileRepo from "@scribe/adapters/sql/SqlProfileRepo"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import * as SqlTemplateStore from "@scribe/adapters/sql/SqlTemplateStore"
import type { AdminQueries } from "@scribe/core/admin/AdminQueries"
import { type JobQueue, layerOfferingRepo } from "@scribe/core/jobs/JobQueue"
import type { JobStats } from "@scribe/core/jobs/JobStats"
import type { HealthProbe } from "@scribe/core/ops/HealthProbe"
import type { Repo } from "@scribe/core/store/Repo"
import type { TemplateStore } from "@scribe/core/templates/TemplateStore"
import type { ProfileRepo } from "@scribe/core/users/ProfileRepo"
import { ConfigError, Effect, Layer, Option } from "effect"

export type Stores = SqlClient.SqlClient | Repo | JobQueue | HealthProbe | JobStats | AccountStores

/** The profile, template and admin stores, over the same database. */
export type AccountStores = ProfileRepo | TemplateStore | AdminQueries
const accountStores = Layer.mergeAll(SqlProfileRepo.layer, SqlTemplateStore.layer, SqlAdminQueries.layer)

/**
 * The database, the Repo and the JobQueue over it, wired: the queue's adapter claims and settles jobs through
 * `JobLeases`; the Repo handed to everything else offers inserted jobs to the queue once they commit.
 */
const assemble = <RDb, EDb, EQ>(
  database: Layer.Layer<RDb | SqlClient.SqlClient, EDb>,
  queue: Layer.Layer<JobQueue, EQ, JobLeases.JobLeases | RDb>
): Layer.Layer<Stores, EDb | EQ | ConfigError.ConfigError> => {
  // Every dispatch takes jobs in the order `SCRIBE_QUEUE_ORDER` names, and the listings rank them that way.
  const dispatch = queue.pipe(Layer.provide(JobLeases.layerConfig))
  const offering = layerOfferingRepo.pipe(Layer.provide(Layer.merge(SqlRepo.layerConfig, dispatch)))
  return Layer.mergeAll(offering, dispatch, StoreHealth.layerConfig, SqlJobStats.layer, accountStores).pipe(
    Layer.provideMerge(database)
  )
}

/** Redis dispatch, imported only when `REDIS_URL` is set. */
const redisQueue = Layer.unwrapEffect(
  Effect.map(
    Effect.promise(() => import("@scribe/adapters/queue/RedisJobQueue")),
    (RedisJobQueue) => RedisJobQueue.layerConfig
  )
)

/**
 * The stores from the environment (`Database.location`). `DATABASE_URL` → Postgres, wake-ups through LISTEN/NOTIFY;
 * unset → embedded PGlite in `SCRIBE_DATA_DIR` (`.scribe/`; `memory` keeps it in memory), wake-ups in process.
 * `REDIS_URL` → Redis dispatch instead. A standalone worker (`requireDatabaseUrl`) shares the service's Postgres, so it
 * needs `DATABASE_URL`.
 */
export const layerConfig = (options: { readonly requireDatabaseUrl: boolean }) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const location = yield* Database.location
      const redis = yield* RedisConfig.redisUrl
      if (location._tag === "Pglite") {
        if (options.requireDatabaseUrl) {
          return yield* Effect.fail(
            ConfigError.MissingData(
              ["DATABASE_URL"],
              "DATABASE_URL is required: a standalone worker takes its jobs from the service's Postgres"
            )
          )
        }
        const database = Database.layerPglite(location.dataDir)
        return Option.isSome(redis) ? assemble(database, redisQueue) : assemble(database, PgJobQueue.layerLocalConfig)
      }
      const database = Database.layerPg(location.url)
      return Option.isSome(redis) ? assemble(database, redisQueue) : assemble(database, PgJobQueue.layerConfig)
    })
  )
