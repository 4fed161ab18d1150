import type { JobId, UserId } from "../Ids"
import type { Job } from "./Job"

/**
 * The order workers take jobs in. `fair`: round-robin across the users with pending jobs (each user's own jobs in
 * submission order), the user served least recently first; `fifo`: submission order across everyone.
 */
export type QueueOrder = "fair" | "fifo"

/**
 * The fair order's bookkeeping, as the SQL stores keep it in `queue_users`: each user's turn, a number drawn from one
 * increasing counter when the user enters the line (no pending job before) and again whenever one of the user's pending
 * jobs is claimed. The user with the smallest turn among those with pending jobs is served next.
 */
export interface Turns {
  readonly turns: ReadonlyMap<UserId, number>
  readonly next: number
}

export const noTurns: Turns = { turns: new Map(), next: 1 }

/** `userId` draws a new turn (moves to the back of the line). */
export const drawTurn = (t: Turns, userId: UserId): Turns => ({
  turns: new Map(t.turns).set(userId, t.next),
  next: t.next + 1
})

/** A job of `userId` becomes pending; `pendingBefore` is how many the user had. A user entering the line draws a turn. */
export const entered = (t: Turns, userId: UserId, pendingBefore: number): Turns =>
  pendingBefore === 0 ? drawTurn(t, userId) : t

/**
 * Pending positions under the fair order (1-based), as the SQL listing computes them: the caller's k-th pending job
 * (by `seq`) comes after the first k jobs of every user whose turn is before the caller's and the first k - 1 of every
 * user whose turn is after (fewer when that user has fewer pending). Delayed retries are ranked as if due.
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
    line.forEach((job, i) => {
      const k = i + 1
      let position = k
      for (const [other, theirs] of byUser) {
        if (other === user) continue
        position += Math.min(turnOf(other) < turnOf(user) ? k : k - 1, theirs.length)
      }
      ranks.set(job.id, position)
    })
  }
  return ranks
}
