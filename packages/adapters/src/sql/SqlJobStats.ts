import { SqlClient, SqlSchema } from "@effect/sql"
import { JobStatus } from "@scribe/core/jobs/Job"
import { type JobCounts, JobStats } from "@scribe/core/jobs/JobStats"
import { RepoError } from "@scribe/core/store/Repo"
import { Effect, Layer, Schema } from "effect"

const Row = Schema.Struct({
  status: JobStatus,
  jobs: Schema.Union(Schema.Number, Schema.NumberFromString),
  oldest: Schema.NullOr(Schema.DateFromSelf)
})

/** `JobStats` over any Postgres `SqlClient`: one grouped count of `queue_items`. */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  const query = SqlSchema.findAll({
    Request: Schema.Void,
    Result: Row,
    execute: () => sql`
      SELECT status, count(*) AS jobs, min(created_at) FILTER (WHERE status = 'pending') AS oldest
      FROM queue_items GROUP BY status`
  })
  const counts = Effect.map(query(undefined), (rows): JobCounts => {
    const byStatus = { pending: 0, processing: 0, completed: 0, failed: 0 }
    let oldestPendingAt: Date | null = null
    for (const row of rows) {
      byStatus[row.status] = row.jobs
      if (row.status === "pending") oldestPendingAt = row.oldest
    }
    return { byStatus, oldestPendingAt }
  }).pipe(
    Effect.mapError((cause) => new RepoError({ operation: "jobCounts", cause })),
    Effect.withSpan("JobStats.counts")
  )
  return JobStats.of({ counts })
})

export const layer: Layer.Layer<JobStats, never, SqlClient.SqlClient> = Layer.effect(JobStats, make)
