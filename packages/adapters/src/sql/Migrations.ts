import type { SqlClient, SqlError } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Effect, Layer, Schedule } from "effect"
import initial from "./migrations/0001_initial"
import jobDispatch from "./migrations/0002_job_dispatch"
import idempotencyKeys from "./migrations/0003_idempotency_keys"
import traceContext from "./migrations/0004_trace_context"
import usage from "./migrations/0006_usage"
import queueLine from "./migrations/0007_queue_line"
import profiles from "./migrations/0008_profiles"
import resumeTemplates from "./migrations/0009_resume_templates"
import adminIndexes from "./migrations/0010_admin_indexes"
import fairQueue from "./migrations/0011_fair_queue"
import authorCache from "./migrations/0012_author_cache"
import adminSpeed from "./migrations/0013_admin_speed"
import workerHeartbeats from "./migrations/0014_worker_heartbeats"
import queueWeights from "./migrations/0015_queue_weights"

/** The numbered migrations, statically imported so they load the same under tsx, vitest and a bundle. */
export const loader = Migrator.fromRecord({
  "0001_initial": initial,
  "0002_job_dispatch": jobDispatch,
  "0003_idempotency_keys": idempotencyKeys,
  "0004_trace_context": traceContext,
  "0006_usage": usage,
  "0007_queue_line": queueLine,
  "0008_profiles": profiles,
  "0009_resume_templates": resumeTemplates,
  "0010_admin_indexes": adminIndexes,
  "0011_fair_queue": fairQueue,
  "0012_author_cache": authorCache,
  "0013_admin_speed": adminSpeed,
  "0014_worker_heartbeats": workerHeartbeats,
  "0015_queue_weights": queueWeights
})

/**
 * Brings the schema up to date on any Postgres `SqlClient` (node-postgres or PGlite). Two processes starting at
 * once can race to create the migrations table; the loser retries and finds it.
 */
export const run: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> = Migrator.make({})({ loader }).pipe(
  Effect.retry({ while: (error) => error._tag === "SqlError", schedule: Schedule.recurs(2) }),
  Effect.withSpan("Migrations.run")
)

/** Runs the migrations when built; requires the `SqlClient`. */
export const layer: Layer.Layer<never, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =
  Layer.effectDiscard(run)
