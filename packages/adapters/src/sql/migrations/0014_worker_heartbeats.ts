import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Crash recovery in seconds. `queue_workers` keeps, per worker name (the part of a lease owner before its first `/`),
 * when that worker's process last proved itself alive (`beat_at`, the database's clock); a worker silent for a few
 * seconds has its jobs handed back (`JobLeases.reap`) long before their leases would expire. `claimed_at` records
 * when a job was last claimed.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE queue_workers (
      name text PRIMARY KEY,
      beat_at timestamptz NOT NULL
    )`
  yield* sql`ALTER TABLE queue_items ADD COLUMN claimed_at timestamptz`
  yield* sql`CREATE INDEX queue_items_processing_owner_idx ON queue_items (lease_owner) WHERE status = 'processing'`
})
