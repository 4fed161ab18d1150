import { describe, expect, layer, type Vitest } from "@effect/vitest"
import type { Job } from "@scribe/core/jobs/Job"
import { type Claim, type JobQueue, offersFor } from "@scribe/core/jobs/JobQueue"
import type { Repo } from "@scribe/core/store/Repo"
import { Clock, type Context, Duration, Effect, Exit, Fiber, type Layer, Option, type Scope, TestClock } from "effect"
import { freshUser, insertJobsFor } from "../testkit/Jobs"

export type RepoService = Context.Tag.Service<Repo>
export type QueueService = Context.Tag.Service<JobQueue>

/** The settings every adapter under contract is built with. */
export const settings = {
  leaseDuration: Duration.seconds(30),
  pollInterval: Duration.seconds(10),
  reconcileInterval: Duration.seconds(5)
} as const

export interface Harness {
  /** The plain Repo (no dispatch): inserts through it are committed but never offered. */
  readonly repo: RepoService
  readonly queue: QueueService
}

export interface ContractOptions<R, E> {
  readonly layer: Layer.Layer<R, E>
  /** A queue over empty tables, built with `settings`, living as long as the test's scope. */
  readonly fresh: Effect.Effect<Harness, unknown, R | Scope.Scope>
  readonly extra?: (it: Vitest.MethodsNonLive<R>, fresh: Effect.Effect<Harness, unknown, R | Scope.Scope>) => void
}

export const t0 = Date.parse("2026-03-01T09:00:00.000Z")

/** Real time, whatever the test clock says: to let I/O (LISTEN, Redis pub/sub) happen. */
export const liveSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Inserts jobs for a fresh user at the clock's current time; offers them unless told not to. */
export const submit = (h: Harness, names: ReadonlyArray<string>, options: { readonly offer?: boolean } = {}) =>
  Effect.gen(function* () {
    const owner = freshUser("u")
    const jobs = yield* insertJobsFor(h.repo, owner, new Date(yield* Clock.currentTimeMillis), names)
    if (options.offer !== false) yield* h.queue.offer(offersFor(jobs))
    return { owner, jobs }
  })

/** Waits (in real time, bounded) until the fiber is done; `None` when it is still running. */
export const settled = <A, E>(fiber: Fiber.Fiber<A, E>, withinMs: number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + withinMs
    while (Date.now() < deadline) {
      const polled = yield* Fiber.poll(fiber)
      if (Option.isSome(polled)) return Option.some(yield* polled.value)
      yield* liveSleep(10)
    }
    return Option.none<A>()
  })

/** A take that must be answered (within real seconds). */
const takeNow = (h: Harness, worker: string) =>
  Effect.flatMap(Effect.fork(h.queue.take(worker)), (fiber) =>
    Effect.map(settled(fiber, 5000), (claim) => Option.getOrThrowWith(claim, () => new Error(`${worker}: no job`)))
  )

const names = (claims: ReadonlyArray<Claim>) => claims.map((c) => c.job.recipientName)
const ids = (jobs: ReadonlyArray<Job>) => jobs.map((j) => j.id)

/** The `JobQueue` port's contract: every adapter must pass it unchanged. */
export const jobQueueContract = <R, E>(name: string, options: ContractOptions<R, E>) =>
  layer(options.layer, { timeout: "120 seconds" })(name, (it) => {
    const setup = Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      return yield* options.fresh
    })

    describe("take", () => {
      it.scoped("hands out jobs in line order (FIFO by seq), each claim counting an attempt", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const first = yield* submit(h, ["A1", "A2", "A3"])
          yield* TestClock.adjust("1 second")
          const second = yield* submit(h, ["B1"])
          const claims: Array<Claim> = []
          for (let i = 0; i < 4; i++) claims.push(yield* takeNow(h, `w${i}`))
          expect(names(claims)).toEqual(["A1", "A2", "A3", "B1"])
          expect(claims.map((c) => c.job.id)).toEqual([...ids(first.jobs), ...ids(second.jobs)])
          expect(claims.every((c) => c.job.status === "processing" && c.job.attempts === 1)).toBe(true)
          expect(claims.map((c) => c.lease.workerId)).toEqual(["w0", "w1", "w2", "w3"])
          expect(claims.every((c) => c.leaseUntil.getTime() === t0 + 1000 + 30_000)).toBe(true)
          const stored = yield* h.repo.findJob(first.owner.id, first.jobs[0]!.id)
          expect(Option.map(stored, (j) => [j.status, j.attempts])).toEqual(Option.some(["processing", 1]))
        })
      )

      it.scoped("waits without polling while the queue is empty, and an offer wakes the taker", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const waiting = yield* Effect.fork(h.queue.take("w1"))
          // The test clock stands still: no poll can fire, so only the offer can wake the taker.
          expect(yield* settled(waiting, 300)).toEqual(Option.none())
          const { jobs } = yield* submit(h, ["Late"])
          const claim = yield* settled(waiting, 5000)
          expect(Option.map(claim, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
        })
      )

      it.scoped("one consumer per job: six concurrent takers over three jobs get three distinct jobs", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { jobs } = yield* submit(h, ["J1", "J2", "J3"])
          const takers = yield* Effect.forEach(
            Array.from({ length: 6 }, (_, i) => i),
            (i) => Effect.fork(h.queue.take(`w${i}`))
          )
          const deadline = Date.now() + 5000
          let done: Array<Claim> = []
          while (Date.now() < deadline && done.length < 3) {
            done = []
            for (const taker of takers) {
              const polled = yield* Fiber.poll(taker)
              if (Option.isSome(polled) && Exit.isSuccess(polled.value)) done.push(polled.value.value)
            }
            yield* liveSleep(10)
          }
          yield* liveSleep(200)
          const finished: Array<Claim> = []
          for (const taker of takers) {
            const polled = yield* Fiber.poll(taker)
            if (Option.isSome(polled) && Exit.isSuccess(polled.value)) finished.push(polled.value.value)
          }
          expect(finished).toHaveLength(3)
          expect(new Set(finished.map((c) => c.job.id))).toEqual(new Set(ids(jobs)))
          yield* Fiber.interruptAll(takers)
        })
      )

      it.scoped("a cancelled job is never handed out", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Cancelled", "Kept"])
          expect(yield* h.repo.cancelPending(owner.id, jobs[0]!.id)).toEqual({ _tag: "Cancelled" })
          const claim = yield* takeNow(h, "w1")
          expect(claim.job.id).toBe(jobs[1]!.id)
          const next = yield* Effect.fork(h.queue.take("w2"))
          // Parked before the clock moves (a store command in flight would see its own time limit pass).
          expect(yield* settled(next, 200)).toEqual(Option.none())
          yield* TestClock.adjust(settings.pollInterval)
          expect(yield* settled(next, 300)).toEqual(Option.none())
        })
      )

      it.scoped("a committed job that was never offered is still taken (the lost offer is made up for)", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const waiting = yield* Effect.fork(h.queue.take("w1"))
          expect(yield* settled(waiting, 100)).toEqual(Option.none())
          const { jobs } = yield* submit(h, ["Unannounced"], { offer: false })
          // At the latest, the safety poll (or the Redis reconciler) finds it.
          yield* liveSleep(50)
          yield* TestClock.adjust(settings.pollInterval)
          yield* liveSleep(50)
          yield* TestClock.adjust(settings.pollInterval)
          const claim = yield* settled(waiting, 5000)
          expect(Option.map(claim, (c) => c.job.id)).toEqual(Option.some(jobs[0]!.id))
        })
      )
    })

    describe("leases", () => {
      it.scoped("an expired lease is redelivered to another worker, counting a second attempt", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Crashy"])
          const first = yield* takeNow(h, "dead-worker")
          const second = yield* Effect.fork(h.queue.take("w2"))
          expect(yield* settled(second, 200)).toEqual(Option.none())
          yield* TestClock.adjust("29 seconds")
          expect(yield* settled(second, 200)).toEqual(Option.none())
          yield* TestClock.adjust("2 seconds")
          const redelivered = Option.getOrThrow(yield* settled(second, 5000))
          expect(redelivered.job.id).toBe(jobs[0]!.id)
          expect(redelivered.job.attempts).toBe(2)
          expect(redelivered.lease.workerId).toBe("w2")
          // The first holder's writes no longer count.
          expect(yield* h.queue.renew(first.lease)).toBe(false)
          const now = new Date(yield* TestClock.currentTimeMillis)
          expect(yield* h.queue.release(first.lease, { availableAt: now, lastError: null })).toBe(false)
          expect(
            yield* h.repo.recordProgress(first.lease, { step: "web_scraper", stepStatus: null, stepTimings: {} })
          ).toBe(false)
          const stored = Option.getOrThrow(yield* h.repo.findJob(owner.id, jobs[0]!.id))
          expect([stored.status, stored.attempts]).toEqual(["processing", 2])
        })
      )

      it.scoped("a renewed lease keeps the job held past its first expiry", () =>
        Effect.gen(function* () {
          const h = yield* setup
          yield* submit(h, ["Long"])
          const holder = yield* takeNow(h, "holder")
          const other = yield* Effect.fork(h.queue.take("other"))
          expect(yield* settled(other, 200)).toEqual(Option.none())
          yield* TestClock.adjust("20 seconds")
          expect(yield* h.queue.renew(holder.lease)).toBe(true)
          yield* TestClock.adjust("20 seconds")
          expect(yield* settled(other, 300)).toEqual(Option.none())
          expect(yield* h.queue.renew(holder.lease)).toBe(true)
          yield* TestClock.adjust("29 seconds")
          expect(yield* settled(other, 300)).toEqual(Option.none())
          yield* TestClock.adjust("2 seconds")
          const taken = Option.getOrThrow(yield* settled(other, 5000))
          expect([taken.job.id, taken.job.attempts]).toEqual([holder.job.id, 2])
        })
      )

      it.scoped("a released job keeps its place in line and is due at availableAt; a waiting taker wakes on time", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { jobs } = yield* submit(h, ["First", "Second", "Third"])
          const first = yield* takeNow(h, "w1")
          const t = yield* TestClock.currentTimeMillis
          expect(
            yield* h.queue.release(first.lease, {
              availableAt: new Date(t + 30_000),
              lastError: { message: "503", type: "UpstreamUnavailable", failedStep: "web_scraper" }
            })
          ).toBe(true)
          expect((yield* takeNow(h, "w2")).job.id).toBe(jobs[1]!.id)
          expect((yield* takeNow(h, "w3")).job.id).toBe(jobs[2]!.id)
          const waiting = yield* Effect.fork(h.queue.take("w4"))
          expect(yield* settled(waiting, 200)).toEqual(Option.none())
          yield* TestClock.adjust("29 seconds")
          expect(yield* settled(waiting, 300)).toEqual(Option.none())
          yield* TestClock.adjust("2 seconds")
          const retried = Option.getOrThrow(yield* settled(waiting, 5000))
          expect([retried.job.id, retried.job.attempts, retried.job.errorMessage]).toEqual([jobs[0]!.id, 2, "503"])
        })
      )

      it.scoped("a job put back without delay is taken before later jobs", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { jobs } = yield* submit(h, ["First", "Second"])
          const first = yield* takeNow(h, "w1")
          const now = new Date(yield* TestClock.currentTimeMillis)
          expect(yield* h.queue.release(first.lease, { availableAt: now, lastError: null })).toBe(true)
          const again = yield* takeNow(h, "w2")
          expect([again.job.id, again.job.attempts]).toEqual([jobs[0]!.id, 2])
          expect((yield* takeNow(h, "w3")).job.id).toBe(jobs[1]!.id)
        })
      )

      it.scoped("an acknowledged job is not handed out again", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Done"])
          const claim = yield* takeNow(h, "w1")
          const now = new Date(yield* TestClock.currentTimeMillis)
          expect(
            yield* h.repo.failJob(claim.lease, {
              message: "no",
              type: "UpstreamAuth",
              failedStep: null,
              stepTimings: {},
              now
            })
          ).toBe(true)
          yield* h.queue.ack(claim.lease)
          // Past the lease (and many reconcile rounds) first, then a take: moving the clock while a take's store
          // command is in flight would fire that command's own time limit instead.
          yield* TestClock.adjust("2 minutes")
          const next = yield* Effect.fork(h.queue.take("w2"))
          expect(yield* settled(next, 300)).toEqual(Option.none())
          const stored = Option.getOrThrow(yield* h.repo.findJob(owner.id, jobs[0]!.id))
          expect([stored.status, stored.attempts]).toEqual(["failed", 1])
        })
      )
    })

    options.extra?.(it, options.fresh)
  })
