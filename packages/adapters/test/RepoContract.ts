import { randomUUID } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { AuthUser } from "@scribe/core/auth/AuthUser"
import { Email, type EmailPage } from "@scribe/core/emails/Email"
import { BatchId, EmailId, JobId } from "@scribe/core/Ids"
import { type Job, queueWindowStart } from "@scribe/core/jobs/Job"
import type { Lease } from "@scribe/core/jobs/JobQueue"
import { currentDate } from "@scribe/core/Now"
import type { Repo } from "@scribe/core/store/Repo"
import { type Context, Duration, Effect, type Layer, Option, TestClock } from "effect"
import * as JobLeases from "../src/sql/JobLeases"
import * as SqlRepo from "../src/sql/SqlRepo"
import { freshUser, newJob, type StoreLeases } from "../testkit/Jobs"

export type RepoService = Context.Tag.Service<Repo>

/** The store's lease side: how these tests move a job through a claim to its end (the job queue's contract has its guarantees). */
export type Leases = StoreLeases

/** The store under test: its Repo, and its lease side over the same jobs. */
export interface Store {
  readonly repo: RepoService
  readonly leases: Leases
}

export interface ContractOptions<R, E> {
  /** Built once for the whole suite (a database is expensive); each test then asks `fresh` for an empty store. */
  readonly layer: Layer.Layer<R, E>
  readonly fresh: Effect.Effect<Store, unknown, R>
  /** Adapter-specific tests run in the same suite, on the same layer. */
  readonly extra?: (it: Vitest.MethodsNonLive<R>, fresh: Effect.Effect<Store, unknown, R>) => void
}

const user = (label: string) => freshUser(label, `${label}@example.com`)

export const newEmail = (owner: AuthUser, jobId: JobId, createdAt: Date, id = EmailId.make(randomUUID())) =>
  new Email({
    id,
    userId: owner.id,
    jobId,
    recipientName: "Dr. Ada Lovelace",
    recipientInterest: "analytical engines",
    emailMessage: "Dear Dr. Lovelace, …",
    templateType: "research",
    metadata: { papers_used: ["Notes on the Analytical Engine"], generation_time: 1.5, nested: { ok: true } },
    isConfident: true,
    displayed: true,
    createdAt
  })

const after = (date: Date, duration: Duration.DurationInput) => new Date(date.getTime() + Duration.toMillis(duration))

const at = <A>(items: ReadonlyArray<A>, index: number): A => {
  const item = items[index]
  if (item === undefined) throw new Error(`no item at ${index} (of ${items.length})`)
  return item
}

const ids = (jobs: ReadonlyArray<{ readonly id: string }>) => jobs.map((j) => j.id)

/** Plain fields, so class instances and plain objects with the same data compare equal. */
const plain = <A extends object>(value: A) => ({ ...value })

const lease = (job: Job, workerId: string): Lease => ({ jobId: job.id, workerId })

const claimSome = (leases: Leases, workerId: string, now: Date) =>
  Effect.map(leases.claimNext({ workerId, now, leaseUntil: after(now, "1 minute") }), Option.getOrThrow)

/** Queues one job for `owner` and claims it as `workerId` at `now`; the queue must hold no other due job. */
const claimedJob = ({ repo, leases }: Store, owner: AuthUser, now: Date, workerId = "w1") =>
  Effect.gen(function* () {
    const job = at(yield* repo.insertJobs([newJob(owner, now)]), 0)
    expect((yield* claimSome(leases, workerId, now)).id).toBe(job.id)
    return { job, lease: lease(job, workerId) }
  })

/** A job's failure as a worker reports it: no step, no timings. */
const failure = (message: string, now: Date, type = "Error") =>
  ({ message, type, failedStep: null, stepTimings: {}, now }) as const

/** Queues one job for `owner`, runs it to completion and returns its email. The queue must hold no other due job. */
const produceEmail = (store: Store, owner: AuthUser, createdAt: Date, id?: EmailId) =>
  Effect.gen(function* () {
    const { job, lease: producer } = yield* claimedJob(store, owner, createdAt, "producer")
    const email = newEmail(owner, job.id, createdAt, id)
    const done = yield* store.leases.complete(producer, {
      email,
      generationTime: 1.5,
      stepTimings: { template_parser: 0.1, email_composer: 1.2 },
      now: createdAt
    })
    expect(done).toBe(true)
    return email
  })

const everyEmail: EmailPage = { limit: 100, offset: 0, includeDiscarded: true }

/** The messages along an error's `cause` chain (the driver's message sits under SqlError). */
const messages = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if ("message" in current) parts.push(String(current.message))
    current = "cause" in current ? current.cause : undefined
  }
  return parts.join(" / ")
}

/** A fresh store, the clock at a round instant, that instant, and two users stored at it. */
export const setupRepo = <R>(fresh: Effect.Effect<Store, unknown, R>) =>
  Effect.gen(function* () {
    const store = yield* fresh
    const { repo } = store
    yield* TestClock.setTime(Date.parse("2026-03-01T09:00:00.000Z"))
    const t0 = yield* currentDate
    const a = user("a")
    const b = user("b")
    yield* repo.upsertUser(a, t0)
    yield* repo.upsertUser(b, t0)
    return { store, repo, leases: store.leases, t0, a, b }
  })

/** The `Repo` port's contract: every adapter must pass it unchanged. */
export const repoContract = <R, E>(name: string, options: ContractOptions<R, E>) =>
  layer(options.layer, { timeout: "120 seconds" })(name, (it) => {
    const { fresh } = options
    const setup = setupRepo(fresh)

    describe("insertJobs", () => {
      it.effect("stores jobs as pending, in array order, with increasing seq", () =>
        Effect.gen(function* () {
          const { repo, t0, a } = yield* setup
          const batch = BatchId.make(randomUUID())
          const jobs = ["First", "Second", "Third"].map((name) => newJob(a, t0, `Dr. ${name}`, { batchId: batch }))
          const inserted = yield* repo.insertJobs(jobs)
          expect(ids(inserted)).toEqual(ids(jobs))
          const seqs = inserted.map((j) => j.seq)
          expect([...seqs].sort((x, y) => x - y)).toEqual(seqs)
          expect(new Set(seqs).size).toBe(3)
          const first = at(inserted, 0)
          expect(plain(first)).toEqual({
            ...plain(at(jobs, 0)),
            seq: first.seq,
            status: "pending",
            currentStep: null,
            stepStatus: null,
            stepTimings: {},
            attempts: 0,
            errorMessage: null,
            errorType: null,
            failedStep: null,
            emailId: null,
            generationTime: null,
            startedAt: null,
            finishedAt: null,
            // The SQL adapters remember the inserting span (a W3C traceparent); the memory one keeps none.
            traceParent: first.traceParent
          })
          expect(first.traceParent ?? "00-00000000000000000000000000000001-0000000000000001-01").toMatch(
            /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/
          )
          expect(Option.map(yield* repo.findJob(a.id, first.id), plain)).toEqual(Option.some(plain(first)))

          const later = yield* repo.insertJobs([newJob(a, t0)])
          expect(at(later, 0).seq).toBeGreaterThan(Math.max(...seqs))
          expect(yield* repo.insertJobs([])).toEqual([])
        })
      )

      it.effect("upsertUser is idempotent", () =>
        Effect.gen(function* () {
          const { repo, t0, a } = yield* setup
          yield* repo.upsertUser(a, t0)
          yield* repo.upsertUser(a, after(t0, "1 hour"))
          yield* repo.upsertUser(new AuthUser({ id: a.id, email: null }), after(t0, "2 hours"))
          expect(yield* repo.insertJobs([newJob(a, t0)])).toHaveLength(1)
        })
      )
    })

    describe("insertJobsOnce", () => {
      it.effect("a key inserts once per user; the same request replays, another is refused; 24 h later it is new", () =>
        Effect.gen(function* () {
          const { repo, t0, a, b } = yield* setup
          const key = (owner: AuthUser, request: string, now = t0) => ({ userId: owner.id, key: "k-1", request, now })
          const jobs = [newJob(a, t0, "Dr. One"), newJob(a, t0, "Dr. Two")]

          const first = yield* repo.insertJobsOnce(key(a, "request-1"), jobs)
          expect(first._tag).toBe("Inserted")
          expect(first._tag === "Inserted" ? ids(first.jobs) : []).toEqual(ids(jobs))

          const replay = yield* repo.insertJobsOnce(key(a, "request-1"), [newJob(a, t0, "Dr. Three")])
          expect(replay).toEqual({ _tag: "Replayed", jobIds: ids(jobs) })
          expect(yield* repo.insertJobsOnce(key(a, "request-2"), [newJob(a, t0)])).toEqual({ _tag: "KeyReused" })
          expect((yield* repo.listQueue(a.id, t0)).map((e) => e.job.id)).toEqual(ids(jobs))

          // the same key is another user's own
          const bJob = newJob(b, t0)
          const other = yield* repo.insertJobsOnce(key(b, "request-2"), [bJob])
          expect(other._tag === "Inserted" ? ids(other.jobs) : []).toEqual([bJob.id])

          // remembered for 24 hours, then the key is free again
          const almost = after(t0, Duration.millis(Duration.toMillis("24 hours") - 1))
          expect((yield* repo.insertJobsOnce(key(a, "request-1", almost), [newJob(a, almost)]))._tag).toBe("Replayed")
          const dayLater = after(t0, "24 hours")
          const fresh = newJob(a, dayLater, "Dr. Fresh")
          const again = yield* repo.insertJobsOnce(key(a, "request-2", dayLater), [fresh])
          expect(again._tag === "Inserted" ? ids(again.jobs) : []).toEqual([fresh.id])
        })
      )
    })

    describe("listQueue", () => {
      it.effect("positions rank all users' pending jobs in take order; null unless pending", () =>
        Effect.gen(function* () {
          const { repo, leases, t0, a, b } = yield* setup
          const [a1, a2] = yield* repo.insertJobs([newJob(a, t0, "A one"), newJob(a, t0, "A two")])
          const [b1, b2] = yield* repo.insertJobs([newJob(b, t0, "B one"), newJob(b, t0, "B two")])
          const [a3] = yield* repo.insertJobs([newJob(a, t0, "A three")])
          if (!a1 || !a2 || !a3 || !b1 || !b2) throw new Error("insert failed")

          expect((yield* claimSome(leases, "w1", t0)).id).toBe(a1.id)
          const positionsOf = (owner: AuthUser) =>
            Effect.map(repo.listQueue(owner.id, t0), (entries) =>
              entries.map((e) => [e.job.id, e.job.status, e.position] as const)
            )
          expect(yield* positionsOf(a)).toEqual([
            [a1.id, "processing", null],
            [a2.id, "pending", 1],
            [a3.id, "pending", 4]
          ])
          expect(yield* positionsOf(b)).toEqual([
            [b1.id, "pending", 2],
            [b2.id, "pending", 3]
          ])

          // a2 is taken and fails: everyone behind it moves up.
          expect((yield* claimSome(leases, "w2", t0)).id).toBe(a2.id)
          expect(yield* leases.fail(lease(a2, "w2"), failure("boom", t0))).toBe(true)
          expect(yield* positionsOf(a)).toEqual([
            [a1.id, "processing", null],
            [a2.id, "failed", null],
            [a3.id, "pending", 3]
          ])
          expect(yield* positionsOf(b)).toEqual([
            [b1.id, "pending", 1],
            [b2.id, "pending", 2]
          ])
        })
      )

      it.effect("shows only the caller's jobs created at or after `since`", () =>
        Effect.gen(function* () {
          const { repo, t0, a } = yield* setup
          const old = at(yield* repo.insertJobs([newJob(a, t0)]), 0)
          yield* TestClock.adjust("25 hours")
          const t1 = yield* currentDate
          const recent = at(yield* repo.insertJobs([newJob(a, t1)]), 0)

          const window = yield* repo.listQueue(a.id, queueWindowStart(t1))
          expect(window.map((e) => e.job.id)).toEqual([recent.id])
          // The bound is inclusive.
          expect((yield* repo.listQueue(a.id, t0)).map((e) => e.job.id)).toEqual([old.id, recent.id])
          expect(yield* repo.listQueue(a.id, after(t1, "1 millis"))).toEqual([])
        })
      )
    })

    describe("isolation", () => {
      it.effect("another user never sees, cancels or changes the caller's jobs and emails", () =>
        Effect.gen(function* () {
          const { store, repo, t0, a, b } = yield* setup
          const email = yield* produceEmail(store, a, t0)
          const pending = at(yield* repo.insertJobs([newJob(a, t0)]), 0)

          expect(yield* repo.findJob(b.id, pending.id)).toEqual(Option.none())
          expect(yield* repo.listQueue(b.id, new Date(0))).toEqual([])
          expect(yield* repo.cancelPending(b.id, pending.id)).toEqual({ _tag: "NotFound" })
          expect(yield* repo.findEmail(b.id, email.id)).toEqual(Option.none())
          expect(yield* repo.listEmails(b.id, everyEmail)).toEqual([])
          expect(yield* repo.setDisplayed(b.id, email.id, false)).toEqual(Option.none())

          expect(Option.map(yield* repo.findJob(a.id, pending.id), (j) => j.status)).toEqual(Option.some("pending"))
          expect(Option.map(yield* repo.findEmail(a.id, email.id), plain)).toEqual(Option.some(plain(email)))
          expect((yield* repo.listQueue(a.id, new Date(0))).map((e) => e.job.id)).toHaveLength(2)
        })
      )
    })

    describe("cancelPending", () => {
      it.effect("deletes a pending job; refuses others with their status; NotFound when unknown", () =>
        Effect.gen(function* () {
          const { repo, leases, t0, a } = yield* setup
          const [running, waiting] = yield* repo.insertJobs([newJob(a, t0), newJob(a, t0)])
          if (!running || !waiting) throw new Error("insert failed")
          yield* claimSome(leases, "w1", t0)

          expect(yield* repo.cancelPending(a.id, waiting.id)).toEqual({ _tag: "Cancelled" })
          expect(yield* repo.findJob(a.id, waiting.id)).toEqual(Option.none())
          expect((yield* repo.listQueue(a.id, t0)).map((e) => e.job.id)).toEqual([running.id])
          expect(yield* repo.cancelPending(a.id, waiting.id)).toEqual({ _tag: "NotFound" })
          expect(yield* repo.cancelPending(a.id, JobId.make(randomUUID()))).toEqual({ _tag: "NotFound" })

          expect(yield* repo.cancelPending(a.id, running.id)).toEqual({
            _tag: "NotCancellable",
            status: "processing"
          })
          const done = yield* leases.complete(lease(running, "w1"), {
            email: newEmail(a, running.id, t0),
            generationTime: 2,
            stepTimings: {},
            now: t0
          })
          expect(done).toBe(true)
          expect(yield* repo.cancelPending(a.id, running.id)).toEqual({
            _tag: "NotCancellable",
            status: "completed"
          })
        })
      )
    })

    describe("submitJobs (per-user cap, atomic)", () => {
      it.effect("inserts up to the cap, refuses a submission that would cross it whole, counts only active jobs", () =>
        Effect.gen(function* () {
          const { repo, leases, t0, a, b } = yield* setup
          const submit = (owner: AuthUser, n: number) =>
            repo.submitJobs({
              userId: owner.id,
              jobs: Array.from({ length: n }, (_, i) => newJob(owner, t0, `Recipient ${i}`)),
              idempotency: null,
              maxActive: 3
            })
          const first = yield* submit(a, 2)
          expect(first._tag).toBe("Inserted")
          expect(yield* submit(a, 2)).toEqual({ _tag: "OverCap", active: 2 })
          expect(yield* repo.listQueue(a.id, t0)).toHaveLength(2)
          // another user's jobs do not count
          expect((yield* submit(b, 3))._tag).toBe("Inserted")
          expect((yield* submit(a, 1))._tag).toBe("Inserted")
          expect(yield* submit(a, 1)).toEqual({ _tag: "OverCap", active: 3 })
          // a finished job no longer counts
          const [job] = first._tag === "Inserted" ? first.jobs : []
          if (!job) throw new Error("insert failed")
          const claimed = yield* leases.claimNext({ workerId: "w1", now: t0, leaseUntil: after(t0, "1 minute") })
          expect(Option.map(claimed, (j) => j.id)).toEqual(Option.some(job.id))
          expect(yield* submit(a, 1)).toEqual({ _tag: "OverCap", active: 3 })
          yield* leases.fail(lease(job, "w1"), failure("no", t0, "Permanent"))
          expect((yield* submit(a, 1))._tag).toBe("Inserted")
          expect(yield* repo.listQueue(a.id, t0)).toHaveLength(4)
        })
      )

      it.effect("a known idempotency key replays whatever the cap; a new key is capped", () =>
        Effect.gen(function* () {
          const { repo, t0, a } = yield* setup
          const key = { userId: a.id, key: "k1", request: "request one", now: t0 }
          const jobs = [newJob(a, t0, "One"), newJob(a, t0, "Two")]
          const first = yield* repo.submitJobs({ userId: a.id, jobs, idempotency: key, maxActive: 2 })
          if (first._tag !== "Inserted") throw new Error(`expected Inserted, got ${first._tag}`)
          expect(yield* repo.replay(key)).toEqual(
            Option.some({ _tag: "Replayed", jobIds: first.jobs.map((j) => j.id) })
          )
          expect(yield* repo.replay({ ...key, request: "another request" })).toEqual(Option.some({ _tag: "KeyReused" }))
          expect(yield* repo.replay({ ...key, key: "unknown" })).toEqual(Option.none())
          // at the cap: the same key still replays, a new one is refused
          const again = yield* repo.submitJobs({
            userId: a.id,
            jobs: [newJob(a, t0, "One"), newJob(a, t0, "Two")],
            idempotency: key,
            maxActive: 2
          })
          expect(again).toEqual({ _tag: "Replayed", jobIds: first.jobs.map((j) => j.id) })
          const other = yield* repo.submitJobs({
            userId: a.id,
            jobs: [newJob(a, t0, "Three")],
            idempotency: { ...key, key: "k2" },
            maxActive: 2
          })
          expect(other).toEqual({ _tag: "OverCap", active: 2 })
          // refused: the key was not remembered
          expect(yield* repo.replay({ ...key, key: "k2" })).toEqual(Option.none())
          expect(yield* repo.listQueue(a.id, t0)).toHaveLength(2)
        })
      )
    })

    describe("emails", () => {
      it.effect("listEmails: newest first (id breaks ties), discarded only when asked, limit/offset", () =>
        Effect.gen(function* () {
          const { store, repo, t0, a } = yield* setup
          const id = (n: number) => EmailId.make(`00000000-0000-4000-8000-00000000000${n}`)
          const e1 = yield* produceEmail(store, a, t0, id(1))
          const e2 = yield* produceEmail(store, a, after(t0, "1 minute"), id(2))
          const e4 = yield* produceEmail(store, a, after(t0, "2 minutes"), id(4))
          const e3 = yield* produceEmail(store, a, after(t0, "2 minutes"), id(3))
          const list = (page: Partial<EmailPage>) =>
            Effect.map(repo.listEmails(a.id, { limit: 20, offset: 0, includeDiscarded: false, ...page }), ids)

          expect(yield* list({})).toEqual(ids([e4, e3, e2, e1]))
          expect(Option.map(yield* repo.setDisplayed(a.id, e2.id, false), (e) => e.displayed)).toEqual(
            Option.some(false)
          )
          expect(yield* list({})).toEqual(ids([e4, e3, e1]))
          expect(yield* list({ includeDiscarded: true })).toEqual(ids([e4, e3, e2, e1]))
          expect(yield* list({ includeDiscarded: true, limit: 2, offset: 1 })).toEqual(ids([e3, e2]))
          expect(yield* list({ limit: 1, offset: 2 })).toEqual(ids([e1]))
          expect(yield* list({ offset: 3 })).toEqual([])
        })
      )

      it.effect("setDisplayed returns the updated email; unknown ids are none", () =>
        Effect.gen(function* () {
          const { store, repo, t0, a } = yield* setup
          const email = yield* produceEmail(store, a, t0)

          const hidden = yield* repo.setDisplayed(a.id, email.id, false)
          expect(Option.map(hidden, plain)).toEqual(Option.some({ ...plain(email), displayed: false }))
          expect(Option.map(yield* repo.findEmail(a.id, email.id), (e) => e.displayed)).toEqual(Option.some(false))
          const shown = yield* repo.setDisplayed(a.id, email.id, true)
          expect(Option.map(shown, plain)).toEqual(Option.some(plain(email)))
          expect(yield* repo.setDisplayed(a.id, EmailId.make(randomUUID()), false)).toEqual(Option.none())
          expect(yield* repo.findEmail(a.id, EmailId.make(randomUUID()))).toEqual(Option.none())
        })
      )
    })

    options.extra?.(it, fresh)
  })

/**
 * An empty SQL store: the tables truncated, then the adapters built on the client in context, in submission (fifo)
 * order as the memory store takes jobs; the fair order's positions are checked against its claims in QueueLine.test.
 */
export const freshSqlRepo: Effect.Effect<Store, unknown, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, author_cache, users`
  return { repo: yield* SqlRepo.makeWith("fifo"), leases: yield* JobLeases.makeWith("fifo") }
})

/** Guarantees the schema gives on its own, below the adapter. */
export const sqlChecks = (
  it: Vitest.MethodsNonLive<SqlClient.SqlClient>,
  fresh: Effect.Effect<Store, unknown, SqlClient.SqlClient>
) =>
  describe("schema", () => {
    const setup = Effect.map(Effect.zip(setupRepo(fresh), SqlClient.SqlClient), ([stored, sql]) => ({ ...stored, sql }))

    it.effect("a CHECK rejects an error_message over 1000 characters", () =>
      Effect.gen(function* () {
        const { store, repo, leases, sql, t0, a } = yield* setup
        const { job, lease: w1 } = yield* claimedJob(store, a, t0)
        const tooLong = failure("x".repeat(1001), t0)
        const error = yield* Effect.flip(leases.fail(w1, tooLong))
        expect(error).toMatchObject({ _tag: "JobQueueError", operation: "fail" })
        expect(messages(error)).toMatch(/queue_items_error_message_check/)
        expect(Option.map(yield* repo.findJob(a.id, job.id), (j) => j.status)).toEqual(Option.some("processing"))

        const raw = yield* Effect.flip(sql`UPDATE queue_items SET error_message = ${"y".repeat(1001)}`)
        expect(raw._tag).toBe("SqlError")
        expect(yield* leases.fail(w1, failure("x".repeat(1000), t0))).toBe(true)
      })
    )

    it.effect("states the adapter never writes are refused", () =>
      Effect.gen(function* () {
        const { repo, sql, t0, a } = yield* setup
        const job = at(yield* repo.insertJobs([newJob(a, t0)]), 0)
        const refused = (statement: Effect.Effect<unknown, unknown>) =>
          Effect.map(Effect.flip(statement), (e) => expect(e).toMatchObject({ _tag: "SqlError" }))
        // processing without a lease, completed without an email, failed without an error, unknown status/step
        yield* refused(sql`UPDATE queue_items SET status = 'processing', attempts = 1, started_at = ${t0}`)
        yield* refused(sql`UPDATE queue_items SET status = 'completed', generation_time = 1, finished_at = ${t0}`)
        yield* refused(sql`UPDATE queue_items SET status = 'failed', finished_at = ${t0}, attempts = 1`)
        yield* refused(sql`UPDATE queue_items SET status = 'cancelled'`)
        yield* refused(sql`UPDATE queue_items SET current_step = 'web_scraper'`)
        yield* refused(sql`UPDATE queue_items SET attempts = -1`)
        expect(Option.map(yield* repo.findJob(a.id, job.id), (j) => j.status)).toEqual(Option.some("pending"))
      })
    )

    it.effect("the unique job_id allows one email per job", () =>
      Effect.gen(function* () {
        const { store, repo, sql, t0, a } = yield* setup
        const email = yield* produceEmail(store, a, t0)
        const duplicate = yield* Effect.flip(sql`
          INSERT INTO emails (id, user_id, job_id, recipient_name, recipient_interest, email_message, created_at)
          VALUES (${randomUUID()}, ${a.id}, ${email.jobId}, 'X', 'Y', 'Z', ${t0})`)
        expect(messages(duplicate)).toMatch(/emails_job_id_key/)
        expect(yield* repo.listEmails(a.id, everyEmail)).toHaveLength(1)
      })
    )

    it.effect("insertJobs writes all or none", () =>
      Effect.gen(function* () {
        const { repo, t0, a } = yield* setup
        const job = newJob(a, t0)
        const error = yield* Effect.flip(repo.insertJobs([newJob(a, t0), job, job]))
        expect(error).toMatchObject({ _tag: "RepoError", operation: "insertJobs" })
        expect(yield* repo.listQueue(a.id, t0)).toEqual([])
      })
    )

    it.effect("upsertUser keeps the first created_at and refreshes the email", () =>
      Effect.gen(function* () {
        const { repo, sql, t0, a } = yield* setup
        yield* repo.upsertUser(new AuthUser({ id: a.id, email: "new@example.com" }), after(t0, "1 day"))
        const rows = yield* sql<{ email: string | null; created_at: Date }>`
          SELECT email, created_at FROM users WHERE id = ${a.id}`
        expect(rows).toEqual([{ email: "new@example.com", created_at: t0 }])
      })
    )

    it.effect("deleting a user removes their jobs and emails", () =>
      Effect.gen(function* () {
        const { store, repo, sql, t0, a } = yield* setup
        yield* produceEmail(store, a, t0)
        yield* repo.insertJobs([newJob(a, t0)])
        yield* sql`DELETE FROM users WHERE id = ${a.id}`
        const [counts] = yield* sql<{ jobs: number; emails: number }>`
          SELECT (SELECT count(*)::int FROM queue_items) AS jobs, (SELECT count(*)::int FROM emails) AS emails`
        expect(counts).toEqual({ jobs: 0, emails: 0 })
      })
    )
  })
