import { SqlClient } from "@effect/sql"
import { BatchId, EmailId, JobId, type UserId } from "@scribe/core/Ids"
import type { JobStatus, QueueEntry } from "@scribe/core/jobs/Job"
import type { PipelineStep } from "@scribe/core/pipeline/PipelineStep"
import { Effect, Option } from "effect"
import type { QueueOrder } from "./JobLeases"
import { PreparedStatements } from "./PreparedStatements"
import { repoMethod } from "./RepoMethod"

/**
 * The queue listing ($1 user, $2 window start): the caller's jobs of the window, oldest first, with positions for the
 * pending ones. Only the columns the listing shows are read. The pending jobs ahead of the caller's first one are the
 * kept counts of the stretches wholly ahead of it (`queue_line_counts`, migration 0007) plus a count in its own stretch
 * on the pending-seq index (at most 255 entries); only the part of the line between the caller's first and last
 * pending jobs is ranked. (Ranking every pending job took 6 ms at 10 000 pending, counting them 3 ms, in the
 * benchmarks.) Exported so the benchmark runs the very same statement bare.
 */
export const listQueueSql = `
      WITH mine AS MATERIALIZED (
        SELECT id, batch_id, seq, recipient_name, recipient_interest, status, current_step, attempts, error_message,
               email_id, created_at, started_at, finished_at
        FROM queue_items WHERE user_id = $1 AND created_at >= $2
      ), span AS MATERIALIZED (
        SELECT min(seq) AS first, max(seq) AS last FROM mine WHERE status = 'pending'
      ), ranked AS (
        SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS rank FROM queue_items
        WHERE status = 'pending' AND seq BETWEEN (SELECT first FROM span) AND (SELECT last FROM span)
      )
      SELECT m.*,
             CASE WHEN m.status = 'pending' THEN
               (SELECT coalesce(sum(pending), 0) FROM queue_line_counts WHERE stretch < (SELECT first FROM span) / 256)
               + (SELECT count(*) FROM queue_items
                  WHERE status = 'pending' AND seq >= (SELECT first FROM span) / 256 * 256 AND seq < (SELECT first FROM span))
               + r.rank
             END AS position
      FROM mine m LEFT JOIN ranked r ON r.seq = m.seq
      ORDER BY m.seq`

/**
 * The listing under the fair order: a pending job's position is the rank at which weighted round-robin claims reach
 * it. The users with pending jobs are served in turn order, round after round: in the first round each user gets what
 * is left of its current turn (its credit: weight less what the turn has served, at least 1), in every later round its
 * weight. The caller's k-th pending job (by `seq`) is served in round r = floor((k - credit + 2·weight - 1) / weight)
 * of the caller's, and comes after what the first r rounds serve of every user whose turn is before the caller's and
 * what the first r - 1 serve of every user whose turn is after: least(pending, greatest(credit + (rounds - 1)·weight,
 * 0)) of each. With every weight 1 that is the first k and k - 1 jobs. So the positions come from the kept per-user
 * pending counts, turns, weights and served counts (`queue_users`, migrations 0011 and 0015), grouped by their values:
 * O(active users), never a walk of the line. `me` is always one row.
 */
export const listQueueFairSql = `
      WITH mine AS MATERIALIZED (
        SELECT id, batch_id, seq, recipient_name, recipient_interest, status, current_step, attempts, error_message,
               email_id, created_at, started_at, finished_at
        FROM queue_items WHERE user_id = $1 AND created_at >= $2
      ), me AS MATERIALIZED (
        SELECT coalesce(max(turn), 0) AS turn, coalesce(max(weight), 1) AS weight,
               coalesce(max(greatest(weight - served, 1)), 1) AS credit
        FROM queue_users WHERE user_id = $1
      ), others AS MATERIALIZED (
        SELECT pending, weight, greatest(weight - served, 1) AS credit, turn < (SELECT turn FROM me) AS ahead,
               count(*) AS users
        FROM queue_users WHERE pending > 0 AND user_id <> $1
        GROUP BY 1, 2, 3, 4
      ), ranked AS (
        SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS k,
               (ROW_NUMBER() OVER (ORDER BY seq) - me.credit + 2 * me.weight - 1) / me.weight AS round
        FROM queue_items, me WHERE user_id = $1 AND status = 'pending'
      )
      SELECT m.*,
             CASE WHEN m.status = 'pending' THEN
               r.k + (SELECT coalesce(sum(o.users * least(o.pending, greatest(
                        o.credit + (CASE WHEN o.ahead THEN r.round ELSE r.round - 1 END - 1) * o.weight, 0))), 0)
                      FROM others o)
             END AS position
      FROM mine m LEFT JOIN ranked r ON r.seq = m.seq
      ORDER BY m.seq`

/** A listing row as the driver returns it (int8 is a string from node-postgres, a number from PGlite). */
interface QueueRow {
  readonly id: string
  readonly batch_id: string | null
  readonly seq: number | string
  readonly recipient_name: string
  readonly recipient_interest: string
  readonly status: JobStatus
  readonly current_step: PipelineStep | null
  readonly attempts: number
  readonly error_message: string | null
  readonly email_id: string | null
  readonly created_at: Date
  readonly started_at: Date | null
  readonly finished_at: Date | null
  readonly position: number | string | null
}

const isQueueRow = (u: unknown): u is QueueRow =>
  typeof u === "object" &&
  u !== null &&
  "id" in u &&
  typeof u.id === "string" &&
  "status" in u &&
  typeof u.status === "string" &&
  "created_at" in u &&
  u.created_at instanceof Date

/**
 * A listing row as a `QueueEntry`, without validating it again. `GET /api/queue/` reads up to a day of the caller's
 * jobs on every request, and the full decode (the row schema, then every refinement of `Job`) cost about 50 µs a row,
 * most of the request's time with 100 active jobs (measured by the benchmarks). Every row passed those rules when it
 * was written and the table's constraints hold it to them, so only its shape is checked (`isQueueRow`).
 */
const trustedQueueEntry = (r: QueueRow): QueueEntry => ({
  job: {
    id: JobId.make(r.id, true),
    batchId: r.batch_id === null ? null : BatchId.make(r.batch_id, true),
    seq: Number(r.seq),
    recipientName: r.recipient_name,
    recipientInterest: r.recipient_interest,
    status: r.status,
    currentStep: r.current_step,
    attempts: r.attempts,
    errorMessage: r.error_message,
    emailId: r.email_id === null ? null : EmailId.make(r.email_id, true),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at
  },
  position: r.position === null ? null : Number(r.position)
})

/** The listing's statement under `order`, and the name it is prepared under on PostgreSQL. */
export const listingStatement = (order: QueueOrder) =>
  order === "fair"
    ? { name: "scribe_list_queue_fair", text: listQueueFairSql }
    : { name: "scribe_list_queue_fifo", text: listQueueSql }

/**
 * `Repo.listQueue`: the caller's jobs of the window, oldest first, each pending one with its place in line under
 * `order`. On PostgreSQL the statement is prepared (`PreparedStatements`): it is the read behind every queue poll.
 */
export const make = (order: QueueOrder) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const prepared = yield* Effect.serviceOption(PreparedStatements)
    const statement = listingStatement(order)
    const run = (values: ReadonlyArray<unknown>) =>
      Option.isSome(prepared)
        ? prepared.value.query(statement.name, statement.text, values)
        : sql.unsafe<object>(statement.text, values)
    return {
      listQueue: (userId: UserId, since: Date) =>
        run([userId, since]).pipe(
          Effect.flatMap((rows) =>
            rows.every(isQueueRow)
              ? Effect.succeed(rows.map(trustedQueueEntry))
              : Effect.fail(new Error("listQueue: a row of an unexpected shape"))
          ),
          repoMethod("listQueue")
        )
    }
  })
