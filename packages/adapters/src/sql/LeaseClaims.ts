import { SqlClient, SqlSchema } from "@effect/sql"
import { JobId } from "@scribe/core/Ids"
import type { Offer } from "@scribe/core/jobs/JobQueue"
import { firstStep, stepStatus } from "@scribe/core/pipeline/PipelineStep"
import { Effect, Option, Schema } from "effect"
import { Int8, JobFromRow } from "./Rows"

/** A claim as the caller times it: `workerId` holds the job from `now` until `leaseUntil`. */
export interface ClaimRequest {
  readonly workerId: string
  readonly now: Date
  readonly leaseUntil: Date
}

/**
 * The order workers take jobs in. `fair`: weighted round-robin across the users with pending jobs (up to a user's
 * weight in a row, each user's own jobs in submission order), the user served least recently first; `fifo`: submission
 * order across everyone.
 */
export type QueueOrder = "fair" | "fifo"

/** How claims are limited beyond the order. */
export interface ClaimLimits {
  /**
   * Under the fair order, a user running this many jobs (processing under a live lease) is passed over while another
   * user has a claimable job; when every user with a claimable job is at the cap, the fair order decides alone (no
   * worker idles while a job waits). `null`: no cap.
   */
  readonly maxRunningPerUser: number | null
}

export const noLimits: ClaimLimits = { maxRunningPerUser: null }

/**
 * The claiming side of `JobLeases`: what a claim takes in `order` within `limits`, one given job's claim, and what
 * dispatch asks of the table (what is claimable, when the next job falls due). Failures are the driver's; `JobLeases`
 * names them.
 */
export const make = (order: QueueOrder, limits: ClaimLimits) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()

    // Claimable now: due pending jobs, and jobs whose lease has expired.
    const claimableAt = (now: Date) =>
      sql`((status = 'pending' AND available_at <= ${now}) OR (status = 'processing' AND lease_until < ${now}))`

    // The claim: to `processing` at the first step under a lease, the attempt counted, the first start kept. Recording
    // the step here, in the claim's own statement, means a running job always shows where it is.
    const claimSet = (workerId: string, now: Date, leaseUntil: Date) => sql`
    status = 'processing',
    current_step = ${firstStep},
    step_status = ${stepStatus(firstStep)},
    attempts = attempts + 1,
    lease_owner = ${workerId},
    lease_until = ${leaseUntil},
    claimed_at = ${now},
    started_at = COALESCE(started_at, ${now})`

    const Claim = Schema.Struct({ workerId: Schema.String, now: Schema.DateFromSelf, leaseUntil: Schema.DateFromSelf })

    const claimFifo = SqlSchema.findOne({
      Request: Claim,
      Result: JobFromRow,
      execute: ({ workerId, now, leaseUntil }) => sql`
      UPDATE queue_items q
      SET ${claimSet(workerId, now, leaseUntil)}
      FROM (
        SELECT id FROM queue_items WHERE ${claimableAt(now)}
        ORDER BY seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) next
      WHERE q.id = next.id
      RETURNING q.*`
    })

    // Fair order: a job whose lease expired while its user has nothing pending first (that user would be first in turn
    // anyway); then, walking the users with pending jobs in turn order (`queue_users`, migration 0011), the first
    // claimable job (due pending, or lease expired) of the first user that has one not held by a concurrent claim, so a
    // job whose worker died is back at its place in its user's line. The nested loop stops at the first user that
    // yields a row: a claim locks one job. With a cap, the users walked first are those running fewer than `cap` jobs
    // under a live lease (counted on the user's line index) or alone in line; when none has a claimable job, the walk
    // without the cap decides, so no worker idles while a job waits. One statement: COALESCE evaluates each pick only
    // when the ones before found nothing. The claim's trigger counts the job in its user's turn and moves the user to
    // the back once the turn has served the user's weight (migration 0015).
    const expiredPick = (now: Date) => sql`(
      SELECT id FROM queue_items i WHERE status = 'processing' AND lease_until < ${now}
        AND NOT EXISTS (SELECT 1 FROM queue_users u WHERE u.user_id = i.user_id AND u.pending > 0)
      ORDER BY seq
      LIMIT 1
      FOR UPDATE SKIP LOCKED)`
    const fairPick = (now: Date, cap: number | null) => sql`(
      SELECT head.id FROM queue_users u
      CROSS JOIN LATERAL (
        SELECT id FROM queue_items i
        WHERE i.user_id = u.user_id AND i.status IN ('pending', 'processing') AND ${claimableAt(now)}
        ORDER BY i.seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) head
      WHERE u.pending > 0 ${
        cap === null
          ? sql``
          : sql`AND (NOT EXISTS (SELECT 1 FROM queue_users o WHERE o.pending > 0 AND o.user_id <> u.user_id)
               OR (SELECT count(*) FROM queue_items r
                   WHERE r.user_id = u.user_id AND r.status = 'processing' AND r.lease_until >= ${now}) < ${cap})`
      }
      ORDER BY u.turn
      LIMIT 1)`
    const cap = limits.maxRunningPerUser
    const claimFair = SqlSchema.findOne({
      Request: Claim,
      Result: JobFromRow,
      execute: ({ workerId, now, leaseUntil }) => sql`
      UPDATE queue_items q
      SET ${claimSet(workerId, now, leaseUntil)}
      WHERE q.id = COALESCE(${expiredPick(now)}, ${cap === null ? sql`` : sql`${fairPick(now, cap)}, `}${fairPick(now, null)})
      RETURNING q.*`
    })
    const claimNext = (request: typeof Claim.Type) => (order === "fifo" ? claimFifo(request) : claimFair(request))

    // The same transition for one given job: the row lock serialises it with a concurrent claim or cancel, and
    // whichever comes second finds the row no longer claimable.
    const claimById = SqlSchema.findOne({
      Request: Schema.Struct({ ...Claim.fields, id: JobId }),
      Result: JobFromRow,
      execute: ({ id, workerId, now, leaseUntil }) => sql`
      UPDATE queue_items SET ${claimSet(workerId, now, leaseUntil)}
      WHERE id = ${id} AND ${claimableAt(now)}
      RETURNING *`
    })

    // The earliest instant after `now` at which a job becomes claimable: a delayed retry falls due or a lease expires.
    const nextDue = SqlSchema.single({
      Request: Schema.DateFromSelf,
      Result: Schema.Struct({ next: Schema.NullOr(Schema.DateFromSelf) }),
      execute: (now) => sql`
      SELECT LEAST(
        (SELECT min(available_at) FROM queue_items WHERE status = 'pending' AND available_at > ${now}),
        (SELECT min(lease_until) FROM queue_items WHERE status = 'processing' AND lease_until >= ${now})
      ) AS next`
    })

    // Jobs that can be claimed right now, in line order.
    const claimable = SqlSchema.findAll({
      Request: Schema.Struct({ now: Schema.DateFromSelf, limit: Schema.Number }),
      Result: Schema.Struct({ id: JobId, seq: Int8, available_at: Schema.DateFromSelf }),
      execute: ({ now, limit }) => sql`
      SELECT id, seq, available_at FROM queue_items WHERE ${claimableAt(now)}
      ORDER BY seq
      LIMIT ${limit}`
    })

    return {
      claimNext,
      claimById,
      nextDue: (now: Date) => Effect.map(nextDue(now), ({ next }) => Option.fromNullable(next)),
      claimable: (now: Date, limit: number) =>
        Effect.map(claimable({ now, limit }), (rows) =>
          rows.map((r): Offer => ({ id: r.id, seq: r.seq, availableAt: r.available_at }))
        )
    }
  })
