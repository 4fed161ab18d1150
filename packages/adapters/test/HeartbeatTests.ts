import { expect, type Vitest } from "@effect/vitest"
import { Clock, Effect, Exit, Option, Scope } from "effect"
import type * as JobLeases from "../src/sql/JobLeases"
import { type Harness, settled, submit } from "./JobQueueContract"

/**
 * Crash recovery by heartbeat, for the dispatches shared by several processes. `fresh` builds a queue (with quick
 * heartbeats) in the scope given, one process's, over the tables as they are (it must not empty them: another
 * process's queue may be using them); each test first empties them with `empty`. The test clock stands still throughout: no
 * lease can expire, so a job handed back can only have been handed back by the heartbeat.
 */
export const heartbeatTests = <R>(
  it: Vitest.MethodsNonLive<R>,
  empty: Effect.Effect<void, unknown, R>,
  fresh: Effect.Effect<Harness, unknown, R | Scope.Scope>,
  /** The lease side over the same tables. */
  makeLeases: Effect.Effect<typeof JobLeases.JobLeases.Service, never, R>
) => {
  it.scoped("a silent worker's jobs are handed back at their place; a worker that never beat keeps its leases", () =>
    Effect.gen(function* () {
      yield* empty
      const h = yield* fresh
      const leases = yield* makeLeases
      const { jobs } = yield* submit(h, ["Held by the dead", "Held by a stranger"], { offer: false })
      const now = new Date(yield* Clock.currentTimeMillis)
      const leaseUntil = new Date(now.getTime() + 60_000)
      yield* leases.beat(["dead"])
      const first = yield* leases.claimNext({ workerId: "dead/0/1", now, leaseUntil })
      const second = yield* leases.claimNext({ workerId: "stranger/0/1", now, leaseUntil })
      expect([first, second].map((c) => Option.map(c, (j) => j.id))).toEqual(jobs.map((j) => Option.some(j.id)))
      // (Beaten again just now, so this process's own reaper, looking for 600 ms of silence, leaves it.)
      yield* leases.beat(["dead"])
      expect(yield* leases.reap(3_600_000)).toEqual([])
      // Silent for any time at all: handed back.
      expect(yield* leases.reap(0)).toEqual([jobs[0]!.id])
      expect(yield* leases.reap(0)).toEqual([])
      const again = yield* leases.claimNext({ workerId: "alive/0/1", now, leaseUntil })
      expect(Option.map(again, (j) => [j.id, j.attempts])).toEqual(Option.some([jobs[0]!.id, 2]))
    })
  )

  it.scoped("a live worker keeps a slow job; once its process is gone, another process takes the job in seconds", () =>
    Effect.gen(function* () {
      yield* empty
      const survivor = yield* fresh
      const doomedScope = yield* Scope.make()
      const doomed = yield* Scope.extend(fresh, doomedScope)
      const { jobs } = yield* submit(doomed, ["Slow"])
      const held = yield* Effect.flatMap(Effect.fork(doomed.queue.take("doomed/0/1")), (f) => settled(f, 5000))
      expect(Option.map(held, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
      // Seconds pass with the holder alive (beating): nobody else gets the job.
      const waiting = yield* Effect.fork(survivor.queue.take("survivor/0/1"))
      expect(yield* settled(waiting, 1500)).toEqual(Option.none())
      // The holder's process goes (its heartbeat with it), the lease standing: the job comes back within seconds.
      yield* Scope.close(doomedScope, Exit.void)
      const taken = yield* settled(waiting, 5000)
      expect(Option.map(taken, (c) => [c.job.id, c.job.attempts])).toEqual(Option.some([jobs[0]!.id, 2]))
    })
  )

  it.scoped("a worker restarted under its name takes back at once what its earlier process left leased", () =>
    Effect.gen(function* () {
      yield* empty
      // The later process's queue exists from the start; it takes nothing until the earlier one is gone.
      const restarted = yield* fresh
      const earlierScope = yield* Scope.make()
      const earlier = yield* Scope.extend(fresh, earlierScope)
      const { jobs } = yield* submit(earlier, ["Left behind", "Someone else's"])
      const held = yield* Effect.flatMap(Effect.fork(earlier.queue.take("fixed/0/1")), (f) => settled(f, 5000))
      expect(Option.map(held, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
      const other = yield* Effect.flatMap(Effect.fork(earlier.queue.take("other/0/1")), (f) => settled(f, 5000))
      expect(Option.map(other, (c) => c.job.id)).toEqual(Option.some(jobs[1]!.id))
      // The process stops; a new one of the same name beats at once, so its name never falls silent, and the leases
      // (30 s, on a clock that stands still) never expire: only its arrival can hand the job back.
      yield* Scope.close(earlierScope, Exit.void)
      const taken = yield* Effect.flatMap(Effect.fork(restarted.queue.take("fixed/0/1")), (f) => settled(f, 3000))
      expect(Option.map(taken, (c) => [c.job.id, c.job.attempts])).toEqual(Option.some([jobs[0]!.id, 2]))
    })
  )
}
