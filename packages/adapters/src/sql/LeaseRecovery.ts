import { SqlClient, SqlSchema } from "@effect/sql"
import { JobId } from "@scribe/core/Ids"
import { Effect, Schema } from "effect"

/** The worker a lease owner (`<worker>/<slot>/<n>`) belongs to: its part before the first `/`. */
export const workerName = (workerId: string) => workerId.split("/", 1)[0] ?? workerId

/**
 * Crash recovery for `JobLeases`: workers' heartbeats in `queue_workers` (migration 0014, by the database's clock), and
 * the hand-back of the jobs of workers gone silent. Failures are the driver's; `JobLeases` names them.
 */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  // A lease that ended: long before any caller's `now`.
  const ended = new Date(0)
  const reap = SqlSchema.findAll({
    Request: Schema.Number,
    Result: Schema.Struct({ id: JobId }),
    execute: (silentMs) => sql`
    WITH gone AS (
      DELETE FROM queue_workers WHERE beat_at < now() - ${silentMs} * interval '1 millisecond' RETURNING name
    )
    UPDATE queue_items SET lease_until = ${ended}
    WHERE status = 'processing' AND lease_until > ${ended}
      AND split_part(lease_owner, '/', 1) IN (SELECT name FROM gone)
    RETURNING id`
  })
  const arrive = SqlSchema.findAll({
    Request: Schema.String,
    Result: Schema.Struct({ id: JobId }),
    execute: (name) => sql`
    WITH arrived AS (
      INSERT INTO queue_workers (name, beat_at) VALUES (${name}, now())
      ON CONFLICT (name) DO UPDATE SET beat_at = EXCLUDED.beat_at
    )
    UPDATE queue_items SET lease_until = ${ended}
    WHERE status = 'processing' AND lease_until > ${ended} AND split_part(lease_owner, '/', 1) = ${name}
    RETURNING id`
  })
  const beatOne = (name: string) => sql`
    INSERT INTO queue_workers (name, beat_at) VALUES (${name}, now())
    ON CONFLICT (name) DO UPDATE SET beat_at = EXCLUDED.beat_at`

  return {
    beat: (names: ReadonlyArray<string>) => Effect.forEach(names, beatOne, { discard: true }),
    reap: (silentMs: number) => Effect.map(reap(silentMs), (rows) => rows.map((r) => r.id)),
    arrive: (name: string) => Effect.map(arrive(name), (rows) => rows.map((r) => r.id))
  }
})
