import { describe, expect, it } from "@effect/vitest"
import { AuthUser } from "@scribe/core/auth/AuthUser"
import { JobId, UserId } from "@scribe/core/Ids"
import { Generator } from "@scribe/core/jobs/Generator"
import { type Job, NewJob } from "@scribe/core/jobs/Job"
import { JobQueue, offersFor } from "@scribe/core/jobs/JobQueue"
import { retryDelayBounds } from "@scribe/core/jobs/RetryPolicy"
import * as Worker from "@scribe/core/jobs/Worker"
import type { WorkerOptions } from "@scribe/core/jobs/WorkerOptions"
import { Repo } from "@scribe/core/store/Repo"
import * as ScriptedGenerator from "@scribe/core/testing/GeneratorScripted"
import * as JobQueueMemory from "@scribe/core/testing/JobQueueMemory"
import { MemoryLeases } from "@scribe/core/testing/MemoryLeases"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import * as WorkerConfig from "@scribe/wiring/WorkerConfig"
import {
  ConfigProvider,
  type Context,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Option,
  Random,
  Scope,
  TestClock
} from "effect"

const t0 = Date.parse("2026-03-01T09:00:00.000Z")
const owner = new AuthUser({ id: UserId.make("worker-test-user"), email: null })
const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"

/** A job `owner` submits at `createdAt`. */
const newJob = (recipientName: string, createdAt: Date, recipientInterest = "graph theory") =>
  new NewJob({
    id: JobId.make(crypto.randomUUID()),
    userId: owner.id,
    batchId: null,
    recipientName,
    recipientInterest,
    emailTemplate: template,
    createdAt
  })

const options: WorkerOptions = {
  name: "w",
  concurrency: 1,
  taskTimeout: Duration.seconds(180),
  retry: { maxAttempts: 3, base: Duration.seconds(5), max: Duration.seconds(300) },
  shutdownGrace: Duration.seconds(10)
}

/** A worker over the in-memory stores, running a scripted generator, inside `scope`. */
const start = (script: ScriptedGenerator.Script, overrides: Partial<WorkerOptions> = {}, scope?: Scope.Scope) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(t0)
    const { repo, leases } = yield* RepoMemory.makeStore
    const queue = yield* JobQueueMemory.make({ leaseDuration: "30 seconds", pollInterval: "10 seconds" }).pipe(
      Effect.provideService(MemoryLeases, leases)
    )
    const scripted = yield* ScriptedGenerator.make(script)
    const worker = Worker.make({ ...options, ...overrides }).pipe(
      Effect.provideService(Repo, repo),
      Effect.provideService(JobQueue, queue),
      Effect.provideService(Generator, scripted.generator)
    )
    yield* scope === undefined ? worker : Scope.extend(worker, scope)
    yield* repo.upsertUser(owner, new Date(t0))
    return { repo, leases, queue, scripted }
  })

type Harness = Effect.Effect.Success<ReturnType<typeof start>>

const submit = (h: Harness, count = 1) =>
  Effect.gen(function* () {
    const now = new Date(yield* TestClock.currentTimeMillis)
    const jobs = yield* h.repo.insertJobs(Array.from({ length: count }, (_, i) => newJob(`Dr. Recipient ${i}`, now)))
    yield* h.queue.offer(offersFor(jobs))
    return jobs
  })

/** Lets the worker's fibers run until nothing more happens without the clock moving. */
const drain = Effect.repeatN(Effect.yieldNow(), 200)

/** Moves the test clock forward in small steps, letting the worker run at each. */
const advance = (duration: Duration.DurationInput, step: Duration.DurationInput = "100 millis") =>
  Effect.gen(function* () {
    const steps = Math.round(Duration.toMillis(duration) / Duration.toMillis(step))
    yield* drain
    for (let i = 0; i < steps; i++) {
      yield* TestClock.adjust(step)
      yield* drain
    }
  })

const job = (h: Harness, j: Job) => Effect.map(h.repo.findJob(owner.id, j.id), Option.getOrThrow)
const emailsOf = (h: Harness) => h.repo.listEmails(owner.id, { limit: 100, offset: 0, includeDiscarded: true })

describe("Worker", () => {
  it.scoped("runs a job: progress while it runs, then the email and the job completed in one step", () =>
    Effect.gen(function* () {
      const h = yield* start({ stepMillis: 1000 })
      const [j] = yield* submit(h)
      yield* advance("1500 millis")
      const running = yield* job(h, j!)
      expect([running.status, running.currentStep, running.attempts]).toEqual(["processing", "web_scraper", 1])
      expect(running.stepTimings).toEqual({ template_parser: 1 })
      yield* advance("3 seconds")
      const done = yield* job(h, j!)
      expect(done.status).toBe("completed")
      expect(done.generationTime).toBe(4)
      expect(done.stepTimings).toEqual({ template_parser: 1, web_scraper: 1, arxiv_helper: 1, email_composer: 1 })
      const emails = yield* emailsOf(h)
      expect(emails).toHaveLength(1)
      expect(emails[0]!.id).toBe(done.emailId)
      expect(emails[0]!.jobId).toBe(j!.id)
      expect(emails[0]!.metadata).toMatchObject({
        scripted: true,
        generation_time: 4,
        attempts: 1,
        step_timings: { template_parser: 1, web_scraper: 1, arxiv_helper: 1, email_composer: 1 }
      })
    })
  )

  it.scoped("transient failure twice, then success: completed on attempt 3, the back-off visible in the timings", () =>
    Effect.gen(function* () {
      const h = yield* start({
        stepMillis: 1000,
        failure: (_, call) => (call <= 2 ? ScriptedGenerator.transient() : null)
      })
      const [j] = yield* submit(h)
      // Attempt 1 fails at the end of web_scraper (2 s in); the retry is due 2.5–5 s later (base 5 s, equal jitter).
      yield* advance("2 seconds")
      const afterFirst = yield* job(h, j!)
      expect([afterFirst.status, afterFirst.attempts, afterFirst.errorType, afterFirst.failedStep]).toEqual([
        "pending",
        1,
        "UpstreamUnavailable",
        "web_scraper"
      ])
      yield* advance("2400 millis")
      expect((yield* job(h, j!)).attempts).toBe(1)
      yield* advance("40 seconds")
      const done = yield* job(h, j!)
      expect([done.status, done.attempts]).toEqual(["completed", 3])
      expect(h.scripted.calls(j!.id)).toBe(3)

      const events = h.scripted.events(j!.id)
      expect(events.map((e) => e.event)).toEqual(["start", "end", "start", "end", "start", "end"])
      const gap = (i: number) => events[i + 1]!.at - events[i]!.at
      const first = retryDelayBounds(options.retry, 1)
      const second = retryDelayBounds(options.retry, 2)
      expect(gap(1)).toBeGreaterThanOrEqual(Duration.toMillis(first.min))
      expect(gap(1)).toBeLessThanOrEqual(Duration.toMillis(first.max) + 100)
      expect(gap(3)).toBeGreaterThanOrEqual(Duration.toMillis(second.min))
      expect(gap(3)).toBeLessThanOrEqual(Duration.toMillis(second.max) + 100)
      // generation_time spans all three attempts and both waits; the steps of the last attempt took 4 s.
      const wall = (events[5]!.at - events[0]!.at) / 1000
      expect(done.generationTime).toBeCloseTo(wall, 1)
      expect(done.generationTime!).toBeGreaterThanOrEqual(
        2 + 2 + 4 + Duration.toSeconds(first.min) + Duration.toSeconds(second.min)
      )
      expect(Object.values(done.stepTimings).reduce((sum: number, t) => sum + (t ?? 0), 0)).toBe(4)
      expect((yield* emailsOf(h))[0]!.metadata).toMatchObject({ attempts: 3, generation_time: done.generationTime })
    }).pipe(Effect.withRandom(Random.make("backoff")))
  )

  it.scoped("a Retry-After longer than the back-off is honoured", () =>
    Effect.gen(function* () {
      const h = yield* start({
        failure: (_, call) => (call === 1 ? ScriptedGenerator.transient("429", 60_000) : null)
      })
      const [j] = yield* submit(h)
      yield* advance("59 seconds", "1 second")
      expect([(yield* job(h, j!)).status, h.scripted.calls(j!.id)]).toEqual(["pending", 1])
      yield* advance("2 seconds", "1 second")
      expect([(yield* job(h, j!)).status, h.scripted.calls(j!.id)]).toEqual(["completed", 2])
    })
  )

  it.scoped("a permanent failure fails the job after one attempt, with message, type and failed step", () =>
    Effect.gen(function* () {
      const h = yield* start({ failure: () => ScriptedGenerator.permanent("invalid API key", "template_parser") })
      const [j] = yield* submit(h)
      yield* advance("10 minutes", "10 seconds")
      const failed = yield* job(h, j!)
      expect([failed.status, failed.attempts, failed.errorMessage, failed.errorType, failed.failedStep]).toEqual([
        "failed",
        1,
        "invalid API key",
        "UpstreamAuth",
        "template_parser"
      ])
      expect(h.scripted.calls(j!.id)).toBe(1)
      expect(yield* emailsOf(h)).toHaveLength(0)
    })
  )

  it.scoped(
    "a transient failure on every attempt fails after 3 attempts with the last error, cut to 1000 characters",
    () =>
      Effect.gen(function* () {
        const long = `${"x".repeat(4000)} the end`
        const h = yield* start({ failure: (_, call) => ScriptedGenerator.transient(`attempt ${call}: ${long}`) })
        const [j] = yield* submit(h)
        yield* advance("2 minutes", "500 millis")
        const failed = yield* job(h, j!)
        expect([failed.status, failed.attempts, failed.failedStep]).toEqual(["failed", 3, "web_scraper"])
        expect(failed.errorMessage!.length).toBe(1000)
        expect(failed.errorMessage!.startsWith("attempt 3: ")).toBe(true)
        expect(failed.errorMessage!.endsWith("…")).toBe(true)
        expect(h.scripted.calls(j!.id)).toBe(3)
      })
  )

  it.scoped("a hanging attempt is interrupted at the time limit (clock-driven) and retried", () =>
    Effect.gen(function* () {
      const h = yield* start({ failure: (_, call) => (call === 1 ? "hang" : null) })
      const [j] = yield* submit(h)
      yield* advance("179 seconds", "1 second")
      const hanging = yield* job(h, j!)
      expect([hanging.status, hanging.currentStep, hanging.attempts]).toEqual(["processing", "web_scraper", 1])
      expect(h.scripted.events(j!.id).map((e) => e.event)).toEqual(["start"])
      yield* advance("1 second", "1 second")
      expect(h.scripted.events(j!.id).map((e) => e.event)).toEqual(["start", "interrupted"])
      expect(h.scripted.events(j!.id)[1]!.at - t0).toBe(180_000)
      const released = yield* job(h, j!)
      expect([released.status, released.attempts, released.errorType, released.failedStep]).toEqual([
        "pending",
        1,
        "TimeoutError",
        "web_scraper"
      ])
      expect(released.errorMessage).toContain("180 s")
      yield* advance("30 seconds", "1 second")
      const done = yield* job(h, j!)
      expect([done.status, done.attempts]).toEqual(["completed", 2])
    })
  )

  it.scoped("a lost lease stops the attempt and drops its result: no email", () =>
    Effect.gen(function* () {
      const stores: { leases?: Context.Tag.Service<MemoryLeases> } = {}
      const h = yield* start({
        stepMillis: 1000,
        // At the last step the job is taken away (as when its lease expired and another worker took it).
        during: (j, step) =>
          step === "email_composer" && stores.leases !== undefined
            ? Effect.asVoid(
                stores.leases.release(
                  { jobId: j.id, workerId: "w/0/1" },
                  { availableAt: new Date(t0 + 86_400_000), lastError: null }
                )
              )
            : Effect.void
      })
      stores.leases = h.leases
      const [j] = yield* submit(h)
      yield* advance("10 seconds")
      const after = yield* job(h, j!)
      expect([after.status, after.attempts, after.emailId]).toEqual(["pending", 1, null])
      expect(h.scripted.events(j!.id).map((e) => e.event)).toEqual(["start", "end"])
      expect(yield* emailsOf(h)).toHaveLength(0)
    })
  )

  it.scoped("a lease reported lost while running interrupts the work", () =>
    Effect.gen(function* () {
      const h = yield* start({ stepMillis: 20_000 })
      const [j] = yield* submit(h)
      yield* advance("5 seconds", "1 second")
      yield* h.leases.release(
        { jobId: j!.id, workerId: "w/0/1" },
        { availableAt: new Date(t0 + 86_400_000), lastError: null }
      )
      // The next renewal (every 10 s) finds the lease gone.
      yield* advance("6 seconds", "1 second")
      expect(h.scripted.events(j!.id).map((e) => e.event)).toEqual(["start", "interrupted"])
      expect(yield* emailsOf(h)).toHaveLength(0)
    })
  )

  it.scoped("a job whose earlier holders all died fails at once when its attempts are used up", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const { repo, leases } = yield* RepoMemory.makeStore
      yield* repo.upsertUser(owner, new Date(t0))
      const [j] = yield* repo.insertJobs([newJob("Dr. Poison", new Date(t0), "crashes")])
      // Three holders claim it in turn and vanish; each lease runs out.
      for (let i = 0; i < 3; i++) {
        const now = t0 + i * 31_000
        expect(
          Option.isSome(
            yield* leases.claimNext({ workerId: `gone-${i}`, now: new Date(now), leaseUntil: new Date(now + 30_000) })
          )
        ).toBe(true)
      }
      yield* TestClock.setTime(t0 + 3 * 31_000)
      const queue = yield* JobQueueMemory.make({ leaseDuration: "30 seconds" }).pipe(
        Effect.provideService(MemoryLeases, leases)
      )
      const scripted = yield* ScriptedGenerator.make({})
      yield* Worker.make(options).pipe(
        Effect.provideService(Repo, repo),
        Effect.provideService(JobQueue, queue),
        Effect.provideService(Generator, scripted.generator)
      )
      yield* advance("1 second")
      const failed = Option.getOrThrow(yield* repo.findJob(owner.id, j!.id))
      expect([failed.status, failed.attempts, failed.errorType]).toEqual(["failed", 4, "WorkerLost"])
      expect(scripted.calls(j!.id)).toBe(0)
    })
  )

  it.scoped("runs up to `concurrency` jobs at once, in line order", () =>
    Effect.gen(function* () {
      const h = yield* start({ stepMillis: 1000 }, { concurrency: 3 })
      const jobs = yield* submit(h, 5)
      yield* advance("500 millis")
      const states = yield* Effect.forEach(jobs, (j) => Effect.map(job(h, j), (s) => s.status))
      expect(states).toEqual(["processing", "processing", "processing", "pending", "pending"])
      yield* advance("10 seconds")
      const done = yield* Effect.forEach(jobs, (j) => Effect.map(job(h, j), (s) => s.status))
      expect(done).toEqual(["completed", "completed", "completed", "completed", "completed"])
      expect(yield* emailsOf(h)).toHaveLength(5)
    })
  )

  describe("shutdown", () => {
    it.scoped("stops taking and lets the running job finish within the grace period", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const h = yield* start({ stepMillis: 1000 }, {}, scope)
        const [first, second] = yield* submit(h, 2)
        yield* advance("1 second")
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* advance("5 seconds")
        expect(Option.isSome(yield* Fiber.poll(closing))).toBe(true)
        expect((yield* job(h, first!)).status).toBe("completed")
        expect([(yield* job(h, second!)).status, h.scripted.calls(second!.id)]).toEqual(["pending", 0])
      })
    )

    it.scoped("puts a job that cannot finish within the grace period back in line", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const h = yield* start({ stepMillis: 60_000 }, { shutdownGrace: Duration.seconds(5) }, scope)
        const [j] = yield* submit(h)
        yield* advance("1 second")
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* advance("4 seconds", "1 second")
        expect(Option.isNone(yield* Fiber.poll(closing))).toBe(true)
        yield* advance("2 seconds", "1 second")
        expect(Option.isSome(yield* Fiber.poll(closing))).toBe(true)
        const back = yield* job(h, j!)
        expect([back.status, back.attempts, back.errorMessage]).toEqual(["pending", 1, null])
        expect(h.scripted.events(j!.id).map((e) => e.event)).toEqual(["start", "interrupted"])
      })
    )
  })

  describe("config", () => {
    const read = (env: Record<string, string>) =>
      Effect.either(
        Effect.withConfigProvider(WorkerConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env))))
      )

    it.effect("defaults: concurrency 32, 180 s per attempt, 3 attempts", () =>
      Effect.gen(function* () {
        const config = Either.getOrThrow(yield* read({}))
        expect([config.concurrency, Duration.toSeconds(config.taskTimeout), config.retry.maxAttempts]).toEqual([
          32, 180, 3
        ])
        expect(config.name).toMatch(/^worker-/)
      })
    )

    it.effect("an invalid value fails at start, naming the variable", () =>
      Effect.gen(function* () {
        for (const [name, value] of [
          ["SCRIBE_WORKER_CONCURRENCY", "0"],
          ["SCRIBE_WORKER_CONCURRENCY", "two"],
          ["SCRIBE_TASK_TIMEOUT_SECONDS", "-1"],
          ["SCRIBE_MAX_ATTEMPTS", "1.5"]
        ] as const) {
          const result = yield* read({ [name]: value })
          expect(Either.isLeft(result), `${name}=${value}`).toBe(true)
          expect(String(Either.getLeft(result).pipe(Option.getOrThrow))).toContain(name)
        }
      })
    )
  })
})
