import { randomUUID } from "node:crypto"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import type { EmailPage } from "@scribe/core/emails/Email"
import { BatchId } from "@scribe/core/Ids"
import type { Job } from "@scribe/core/jobs/Job"
import { type Claim, type JobQueue, offersFor } from "@scribe/core/jobs/JobQueue"
import { stepStatus } from "@scribe/core/pipeline/PipelineStep"
import type { Repo } from "@scribe/core/store/Repo"
import type { JobUsage } from "@scribe/core/usage/Usage"
import { Clock, type Context, Duration, Effect, Exit, Fiber, type Layer, Option, type Scope, TestClock } from "effect"
import { freshUser, insertJobsFor, newJob } from "../testkit/Jobs"
import { newEmail } from "./RepoContract"

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
  /** The order the adapter takes jobs in: `fifo` by `seq`, or `fair` (round-robin across users). */
  readonly order: "fair" | "fifo"
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
const ids = (jobs: ReadonlyArray<{ readonly id: string }>) => jobs.map((j) => j.id)

const after = (date: Date | number, duration: Duration.DurationInput) =>
  new Date(new Date(date).getTime() + Duration.toMillis(duration))

/** Plain fields, so class instances and plain objects with the same data compare equal. */
const plain = <A extends object>(value: A) => ({ ...value })

const everyEmail: EmailPage = { limit: 100, offset: 0, includeDiscarded: true }

/** A job's failure as a worker reports it: no step, no timings. */
const failure = (message: string, now: Date, type = "Error") =>
  ({ message, type, failedStep: null, stepTimings: {}, now }) as const

/** No job is handed out to a taker parked now (real time, bounded), the clock standing still. */
const noneTaken = (h: Harness, worker: string) =>
  Effect.flatMap(Effect.fork(h.queue.take(worker)), (fiber) =>
    Effect.flatMap(settled(fiber, 300), (claim) =>
      Effect.zipRight(
        Fiber.interrupt(fiber),
        Effect.sync(() => expect(claim).toEqual(Option.none()))
      )
    )
  )

/** A claim its job is not held under: the holder `workerId` never took it (or lost it long ago). */
const strangerClaim = (job: Job, workerId: string): Claim => ({
  job,
  lease: { jobId: job.id, workerId },
  leaseUntil: new Date(t0)
})

/** The `JobQueue` port's contract: every adapter must pass it unchanged. */
export const jobQueueContract = <R, E>(name: string, options: ContractOptions<R, E>) =>
  layer(options.layer, { timeout: "120 seconds" })(name, (it) => {
    const setup = Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      return yield* options.fresh
    })

    describe("take", () => {
      it.scoped(
        "hands out jobs in line order (by seq, or round-robin across users), each claim counting an attempt",
        () =>
          Effect.gen(function* () {
            const h = yield* setup
            const first = yield* submit(h, ["A1", "A2", "A3"])
            yield* TestClock.adjust("1 second")
            const second = yield* submit(h, ["B1"])
            const claims: Array<Claim> = []
            for (let i = 0; i < 4; i++) claims.push(yield* takeNow(h, `w${i}`))
            const [a1, a2, a3] = ids(first.jobs)
            const [b1] = ids(second.jobs)
            if (options.order === "fifo") {
              expect(names(claims)).toEqual(["A1", "A2", "A3", "B1"])
              expect(claims.map((c) => c.job.id)).toEqual([a1, a2, a3, b1])
            } else {
              expect(names(claims)).toEqual(["A1", "B1", "A2", "A3"])
              expect(claims.map((c) => c.job.id)).toEqual([a1, b1, a2, a3])
            }
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
          expect(yield* h.queue.renew(first)).toBe(false)
          const now = new Date(yield* TestClock.currentTimeMillis)
          expect(yield* h.queue.release(first, { availableAt: now, lastError: null })).toBe(false)
          expect(yield* h.queue.progress(first, { step: "web_scraper", stepTimings: {} })).toBe(false)
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
          expect(yield* h.queue.renew(holder)).toBe(true)
          yield* TestClock.adjust("20 seconds")
          expect(yield* settled(other, 300)).toEqual(Option.none())
          expect(yield* h.queue.renew(holder)).toBe(true)
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
            yield* h.queue.release(first, {
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
          expect(yield* h.queue.release(first, { availableAt: now, lastError: null })).toBe(true)
          const again = yield* takeNow(h, "w2")
          expect([again.job.id, again.job.attempts]).toEqual([jobs[0]!.id, 2])
          expect((yield* takeNow(h, "w3")).job.id).toBe(jobs[1]!.id)
        })
      )

      it.scoped("a failed job is not handed out again (its message, if any, is gone with it)", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Done"])
          const claim = yield* takeNow(h, "w1")
          const now = new Date(yield* TestClock.currentTimeMillis)
          expect(
            yield* h.queue.fail(claim, {
              message: "no",
              type: "UpstreamAuth",
              failedStep: null,
              stepTimings: {},
              now
            })
          ).toBe(true)
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

    describe("claims", () => {
      it.scoped(
        "a claim takes the first due job (batches in request order) to processing at its first step, as stored",
        () =>
          Effect.gen(function* () {
            const h = yield* setup
            yield* noneTaken(h, "w0")
            const now = new Date(yield* Clock.currentTimeMillis)
            const a = freshUser("a")
            const b = freshUser("b")
            yield* h.repo.upsertUser(a, now)
            yield* h.repo.upsertUser(b, now)
            const batch = BatchId.make(randomUUID())
            const inserted: Array<Job> = []
            for (const jobs of [
              [1, 2, 3].map((i) => newJob(a, now, `A ${i}`, { batchId: batch })),
              [newJob(b, now, "B 1")],
              [newJob(a, now, "A 4")]
            ]) {
              const rows = yield* h.repo.insertJobs(jobs)
              yield* h.queue.offer(offersFor(rows))
              inserted.push(...rows)
            }
            const taken: Array<Claim> = []
            for (const i of inserted.keys()) {
              yield* TestClock.adjust("1 second")
              taken.push(yield* takeNow(h, `w${i}`))
            }
            const [a1, a2, a3, b1, a4] = ids(inserted)
            expect(taken.map((c) => c.job.id)).toEqual(
              options.order === "fifo" ? [a1, a2, a3, b1, a4] : [a1, b1, a2, a3, a4]
            )
            yield* noneTaken(h, "late")

            const one = taken[0]!.job
            expect(one.status).toBe("processing")
            expect(one.attempts).toBe(1)
            expect(one.startedAt).toEqual(after(t0, "1 second"))
            // The claim itself records the first step, so a running job always shows where it is.
            expect([one.currentStep, one.stepStatus]).toEqual(["template_parser", "Analysing your template…"])
            expect(Option.map(yield* h.repo.findJob(a.id, one.id), plain)).toEqual(Option.some(plain(one)))
          })
      )

      it.scoped("progress records the step with its status words and the timings so far", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Ada"])
          const claim = yield* takeNow(h, "w1")
          for (const step of ["web_scraper", "arxiv_helper", "email_composer"] as const) {
            expect(yield* h.queue.progress(claim, { step, stepTimings: { template_parser: 1 } })).toBe(true)
            const running = Option.getOrThrow(yield* h.repo.findJob(owner.id, jobs[0]!.id))
            expect([running.status, running.currentStep, running.stepStatus, running.stepTimings]).toEqual([
              "processing",
              step,
              stepStatus(step),
              { template_parser: 1 }
            ])
          }
        })
      )

      it.scoped("after a lease expired and the job was taken again, only the new holder's writes count", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Slow"])
          const job = jobs[0]!
          const first = yield* takeNow(h, "w1")
          const second = yield* Effect.fork(h.queue.take("w2"))
          expect(yield* settled(second, 200)).toEqual(Option.none())
          // Leased until t0 + 30 s: still held at that instant, free just after.
          yield* TestClock.adjust("30 seconds")
          expect(yield* settled(second, 300)).toEqual(Option.none())
          yield* TestClock.adjust("1 second")
          const retaken = Option.getOrThrow(yield* settled(second, 5000))
          expect(retaken.job.id).toBe(job.id)
          expect(retaken.job.attempts).toBe(2)
          expect(retaken.job.startedAt).toEqual(new Date(t0))

          const t1 = new Date(yield* Clock.currentTimeMillis)
          const timings = { template_parser: 0.5 }
          expect(yield* h.queue.renew(first)).toBe(false)
          expect(yield* h.queue.progress(first, { step: "web_scraper", stepTimings: timings })).toBe(false)
          expect(
            yield* h.queue.complete(first, {
              email: newEmail(owner, job.id, t1),
              generationTime: 1,
              stepTimings: timings,
              now: t1
            })
          ).toBe(false)
          expect(yield* h.queue.fail(first, failure("late", t1))).toBe(false)
          expect(yield* h.queue.release(first, { availableAt: t1, lastError: null })).toBe(false)
          expect(yield* h.repo.listEmails(owner.id, everyEmail)).toEqual([])

          yield* TestClock.adjust("10 seconds")
          expect(yield* h.queue.renew(retaken)).toBe(true)
          // Renewed: not taken again after the lease it was claimed with would have run out.
          const third = yield* Effect.fork(h.queue.take("w3"))
          expect(yield* settled(third, 200)).toEqual(Option.none())
          yield* TestClock.adjust("25 seconds")
          expect(yield* settled(third, 300)).toEqual(Option.none())
          const email = newEmail(owner, job.id, t1)
          expect(yield* h.queue.complete(retaken, { email, generationTime: 1, stepTimings: timings, now: t1 })).toBe(
            true
          )
          expect((yield* h.repo.listEmails(owner.id, everyEmail)).map((e) => e.id)).toEqual([email.id])
        })
      )
    })

    describe("settling", () => {
      it.scoped("complete stores exactly one email and completes the job", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Ada"])
          const job = jobs[0]!
          const claim = yield* takeNow(h, "w1")
          const progress = { step: "email_composer", stepTimings: { web_scraper: 3.25 } } as const
          expect(yield* h.queue.progress(claim, progress)).toBe(true)
          const running = Option.getOrThrow(yield* h.repo.findJob(owner.id, job.id))
          expect([running.currentStep, running.stepStatus, running.stepTimings]).toEqual([
            "email_composer",
            "Writing your email…",
            { web_scraper: 3.25 }
          ])

          const t1 = after(t0, "90 seconds")
          const email = newEmail(owner, job.id, t1)
          const stepTimings = { template_parser: 0.25, web_scraper: 3.25, arxiv_helper: 2.5, email_composer: 4 }
          expect(yield* h.queue.complete(claim, { email, generationTime: 10.5, stepTimings, now: t1 })).toBe(true)
          const done = Option.getOrThrow(yield* h.repo.findJob(owner.id, job.id))
          expect(done).toMatchObject({
            status: "completed",
            emailId: email.id,
            generationTime: 10.5,
            stepTimings,
            currentStep: null,
            stepStatus: null,
            attempts: 1,
            startedAt: new Date(t0),
            finishedAt: t1
          })
          expect(Option.map(yield* h.repo.findEmail(owner.id, email.id), plain)).toEqual(Option.some(plain(email)))

          const again = newEmail(owner, job.id, t1)
          expect(yield* h.queue.complete(claim, { email: again, generationTime: 1, stepTimings, now: t1 })).toBe(false)
          expect((yield* h.repo.listEmails(owner.id, everyEmail)).map((e) => e.id)).toEqual([email.id])
          expect(yield* h.repo.findEmail(owner.id, again.id)).toEqual(Option.none())
          // Well past the lease (30 s) first, then a take (see "a failed job is not handed out again").
          yield* TestClock.adjust("10 minutes")
          yield* noneTaken(h, "w2")
        })
      )

      it.scoped("fail stores the error, finishes the job and ends the lease", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["Ada"])
          const claim = yield* takeNow(h, "w1")
          const t1 = after(t0, "5 seconds")
          const failed = {
            message: "No author named Ada Lovelace on arXiv",
            type: "InvalidInput",
            failedStep: "arxiv_helper",
            stepTimings: { template_parser: 0.5, arxiv_helper: 1.5 },
            now: t1
          } as const
          expect(yield* h.queue.fail(claim, failed)).toBe(true)
          expect(Option.getOrThrow(yield* h.repo.findJob(owner.id, jobs[0]!.id))).toMatchObject({
            status: "failed",
            errorMessage: failed.message,
            errorType: failed.type,
            failedStep: "arxiv_helper",
            stepTimings: failed.stepTimings,
            currentStep: null,
            emailId: null,
            finishedAt: t1
          })
          expect(yield* h.queue.fail(claim, failed)).toBe(false)
          expect(yield* h.queue.renew(claim)).toBe(false)
          yield* TestClock.adjust("10 minutes")
          yield* noneTaken(h, "w2")
        })
      )

      it.scoped("release puts the job back at its place, due only from availableAt, keeping the last error", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner, jobs } = yield* submit(h, ["One", "Two", "Three"])
          const [one, two, three] = jobs
          if (!one || !two || !three) throw new Error("insert failed")
          const claim = yield* takeNow(h, "w1")
          expect(claim.job.id).toBe(one.id)
          expect(yield* h.queue.progress(claim, { step: "web_scraper", stepTimings: { template_parser: 1 } })).toBe(
            true
          )

          const lastError = { message: "upstream timed out", type: "TimeoutError", failedStep: "web_scraper" } as const
          expect(yield* h.queue.release(claim, { availableAt: after(t0, "1 minute"), lastError })).toBe(true)
          expect(yield* h.queue.release(claim, { availableAt: new Date(t0), lastError: null })).toBe(false)

          const back = Option.getOrThrow(yield* h.repo.findJob(owner.id, one.id))
          expect(back).toMatchObject({
            status: "pending",
            seq: one.seq,
            attempts: 1,
            currentStep: null,
            stepStatus: null,
            errorMessage: "upstream timed out",
            errorType: "TimeoutError",
            failedStep: "web_scraper",
            finishedAt: null
          })
          expect((yield* h.repo.listQueue(owner.id, new Date(t0))).map((e) => [e.job.id, e.position])).toEqual([
            [one.id, 1],
            [two.id, 2],
            [three.id, 3]
          ])

          yield* TestClock.adjust("59 seconds")
          expect((yield* takeNow(h, "w2")).job.id).toBe(two.id)
          yield* TestClock.adjust("1 second")
          const retried = (yield* takeNow(h, "w3")).job
          expect(retried.id).toBe(one.id)
          expect(retried.attempts).toBe(2)
          expect(retried.startedAt).toEqual(new Date(t0))
        })
      )

      it.scoped("completions and failures count per user per UTC day, tokens and cost per model", () =>
        Effect.gen(function* () {
          const h = yield* setup
          const { owner: a, jobs } = yield* submit(h, ["J1", "J2", "J3"])
          const late = new Date("2026-03-01T23:59:59.000Z")
          const nextDay = new Date("2026-03-02T00:00:01.000Z")
          // The day is the one of the `now` a job finishes at (its claim's time does not count).
          const finish = (job: Job, now: Date, usage?: JobUsage) =>
            Effect.gen(function* () {
              const claim = yield* takeNow(h, `w-${job.id}`)
              expect(claim.job.id).toBe(job.id)
              return usage === undefined
                ? yield* h.queue.fail(claim, failure("no", now, "X"))
                : yield* h.queue.complete(claim, {
                    email: newEmail(a, job.id, now),
                    generationTime: 1,
                    stepTimings: {},
                    now,
                    usage
                  })
            })
          const mini = (calls: number, prompt: number, completion: number, costUsd: number) => ({
            model: "gpt-4o-mini",
            calls,
            promptTokens: prompt,
            completionTokens: completion,
            costUsd
          })
          expect(
            yield* finish(jobs[0]!, new Date(t0), {
              models: [mini(3, 1000, 300, 0.00033), { ...mini(1, 10, 5, 0.5), model: "other" }]
            })
          ).toBe(true)
          expect(yield* finish(jobs[1]!, late, { models: [mini(2, 500, 100, 0.000135)] })).toBe(true)
          expect(yield* finish(jobs[2]!, nextDay)).toBe(true)

          const days = yield* h.repo.usage(a.id, "2026-02-01", "2026-03-31")
          expect(days.map((d) => [d.day, d.emailsGenerated, d.jobsFailed])).toEqual([
            ["2026-03-01", 2, 0],
            ["2026-03-02", 0, 1]
          ])
          const first = days[0]!
          expect(first.models.map((m) => m.model)).toEqual(["gpt-4o-mini", "other"])
          expect(first.models[0]!).toMatchObject({ calls: 5, promptTokens: 1500, completionTokens: 400 })
          expect(first.models[0]!.costUsd).toBeCloseTo(0.000465, 9)
          expect(first.models[1]!).toMatchObject({ calls: 1, promptTokens: 10, completionTokens: 5, costUsd: 0.5 })
          expect(days[1]!.models).toEqual([])
          // the range is inclusive and per user
          expect((yield* h.repo.usage(a.id, "2026-03-02", "2026-03-02")).map((d) => d.day)).toEqual(["2026-03-02"])
          expect(yield* h.repo.usage(a.id, "2026-03-03", "2026-03-31")).toEqual([])
          expect(yield* h.repo.usage(freshUser("b").id, "2026-02-01", "2026-03-31")).toEqual([])
          // a completion that does not happen (the lease is not held) counts nothing
          const [extra] = yield* h.repo.insertJobs([newJob(a, new Date(t0), "J4")])
          expect(
            yield* h.queue.complete(strangerClaim(extra!, "nobody"), {
              email: newEmail(a, extra!.id, new Date(t0)),
              generationTime: 1,
              stepTimings: {},
              now: new Date(t0),
              usage: { models: [mini(1, 1, 1, 1)] }
            })
          ).toBe(false)
          expect((yield* h.repo.usage(a.id, "2026-03-01", "2026-03-01"))[0]!.emailsGenerated).toBe(2)
        })
      )
    })

    options.extra?.(it, options.fresh)
  })
