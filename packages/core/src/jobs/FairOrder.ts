import { Data } from "effect"
import type { JobId, UserId } from "../Ids"
import type { Job } from "./Job"

/**
 * The order workers take jobs in. `fair`: weighted round-robin across the users with pending jobs (each user's own jobs
 * in submission order), the user served least recently first; `fifo`: submission order across everyone.
 */
export type QueueOrder = "fair" | "fifo"

/** The bounds of a user's weight in the fair order. */
export const minQueueWeight = 1
export const maxQueueWeight = 100

/** A weight outside `minQueueWeight`..`maxQueueWeight`, or not an integer. */
export class InvalidQueueWeight extends Data.TaggedError("InvalidQueueWeight")<{ readonly weight: number }> {
  override get message() {
    return `a queue weight is an integer from ${minQueueWeight} to ${maxQueueWeight}, not ${this.weight}`
  }
}

/** Whether `weight` is a weight a user may have. */
export const isQueueWeight = (weight: number) =>
  Number.isInteger(weight) && weight >= minQueueWeight && weight <= maxQueueWeight

/**
 * The fair order's bookkeeping, as the SQL stores keep it in `queue_users`: each user's turn, a number drawn from one
 * increasing counter when the user enters the line (no pending job before) and again whenever the user has used the
 * turn up; the user's weight (default 1), how many jobs a turn serves; and how many of the user's pending jobs the
 * current turn has served (reset when a new turn is drawn). The user with the smallest turn among those with pending
 * jobs is served next; a claim of a pending job counts it served, and draws a new turn (to the back of the line) once
 * the turn has served as many as the weight.
 */
export interface Turns {
  readonly turns: ReadonlyMap<UserId, number>
  readonly next: number
  /** Only weights other than 1 are kept. */
  readonly weights: ReadonlyMap<UserId, number>
  /** Jobs served in the current turn; absent is 0. */
  readonly served: ReadonlyMap<UserId, number>
}

export const noTurns: Turns = { turns: new Map(), next: 1, weights: new Map(), served: new Map() }

/** `userId`'s weight (1 unless set). */
export const weightOf = (t: Turns, userId: UserId) => t.weights.get(userId) ?? 1

/** How many more jobs `userId`'s current turn serves (at least 1: a weight lowered mid-turn ends it at the next claim). */
export const creditOf = (t: Turns, userId: UserId) => Math.max(weightOf(t, userId) - (t.served.get(userId) ?? 0), 1)

/** `userId` draws a new turn (moves to the back of the line), nothing served in it yet. */
export const drawTurn = (t: Turns, userId: UserId): Turns => {
  const served = new Map(t.served)
  served.delete(userId)
  return { ...t, turns: new Map(t.turns).set(userId, t.next), next: t.next + 1, served }
}

/** A job of `userId` becomes pending; `pendingBefore` is how many the user had. A user entering the line draws a turn. */
export const entered = (t: Turns, userId: UserId, pendingBefore: number): Turns =>
  pendingBefore === 0 ? drawTurn(t, userId) : t

/** One of `userId`'s pending jobs is claimed: counted in the turn, which passes on once it has served the weight. */
export const claimed = (t: Turns, userId: UserId): Turns => {
  const served = (t.served.get(userId) ?? 0) + 1
  return served >= weightOf(t, userId) ? drawTurn(t, userId) : { ...t, served: new Map(t.served).set(userId, served) }
}

/** `userId` now has `weight`; the current turn keeps what it served. */
export const weighted = (t: Turns, userId: UserId, weight: number): Turns => {
  const weights = new Map(t.weights)
  if (weight === 1) weights.delete(userId)
  else weights.set(userId, weight)
  return { ...t, weights }
}

/**
 * The round of weighted round-robin in which a user with `credit` left in the current turn and `weight` is served its
 * k-th pending job (1-based): the first round is what is left of the current turn, every later one serves `weight`.
 */
export const roundOf = (k: number, credit: number, weight: number) => Math.floor((k - credit + 2 * weight - 1) / weight)

/** How many of a user's `pending` jobs the first `rounds` rounds serve. */
export const servedIn = (rounds: number, pending: number, credit: number, weight: number) =>
  Math.min(pending, Math.max(credit + (rounds - 1) * weight, 0))

/**
 * Pending positions under the fair order (1-based), as the SQL listing computes them. The users are served in turn
 * order, round after round, each up to its credit in the first round and up to its weight in every later one. The
 * caller's k-th pending job (by `seq`), served in round r (`roundOf`), comes after what the first r rounds serve of every
 * user whose turn is before the caller's and what the first r - 1 serve of every user whose turn is after
 * (`servedIn`). With every weight 1 that is the first k and k - 1 jobs. Delayed retries are ranked as if due.
 */
export const fairPositions = (jobs: ReadonlyArray<Job>, t: Turns): ReadonlyMap<JobId, number> => {
  const byUser = new Map<UserId, Array<Job>>()
  for (const job of jobs) {
    if (job.status !== "pending") continue
    const line = byUser.get(job.userId) ?? []
    line.push(job)
    byUser.set(job.userId, line)
  }
  const turnOf = (u: UserId) => t.turns.get(u) ?? 0
  const ranks = new Map<JobId, number>()
  for (const [user, line] of byUser) {
    line.sort((a, b) => a.seq - b.seq)
    const credit = creditOf(t, user)
    const weight = weightOf(t, user)
    line.forEach((job, i) => {
      const k = i + 1
      const round = roundOf(k, credit, weight)
      let position = k
      for (const [other, theirs] of byUser) {
        if (other === user) continue
        const rounds = turnOf(other) < turnOf(user) ? round : round - 1
        position += servedIn(rounds, theirs.length, creditOf(t, other), weightOf(t, other))
      }
      ranks.set(job.id, position)
    })
  }
  return ranks
}
