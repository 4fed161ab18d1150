import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import type { AuthUser } from "@scribe/core/auth/AuthUser"
import type { JobId } from "@scribe/core/Ids"
import type { Job } from "@scribe/core/jobs/Job"
import type { Failure, Lease, Retry } from "@scribe/core/jobs/JobQueue"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option, Runtime } from "effect"
import * as fc from "fast-check"
import * as Database from "../src/sql/Database"
import * as JobLeases from "../src/sql/JobLeases"
import * as SqlRepo from "../src/sql/SqlRepo"
import { freshUser, newJob, recipients } from "../testkit/Jobs"
import { layerTempPostgres } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"
import type { RepoService } from "./JobQueueContract"

/**
 * The fair order against a reference model of its scheduler, on every store: after any sequence of inserts, claims,
 * retries put back, failures and cancels, every claim takes the job the model picks, every listed position is the rank
 * at which the model's round-robin would reach the job, and draining the store takes the jobs in exactly that order.
 *
 * The model is the rule itself, written plainly: each user has a weight (drawn at random from 1 to 4, and changed now
 * and then) and a turn, drawn from one counter when the user enters the line (nothing pending before) and again when
 * the user's turn has served as many of its pending jobs as its weight; a claim serves the user with pending jobs and
 * the smallest turn, that user's first job by `seq`.
 */

type Op =
  | { readonly _tag: "insert"; readonly user: number; readonly count: number }
  | { readonly _tag: "claim" }
  | { readonly _tag: "release"; readonly pick: number }
  | { readonly _tag: "fail"; readonly pick: number }
  | { readonly _tag: "cancel"; readonly pick: number }
  | { readonly _tag: "weigh"; readonly user: number; readonly weight: number }

const USERS = 4
const aWeight = fc.integer({ min: 1, max: 4 })

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("insert" as const),
      user: fc.nat(USERS - 1),
      count: fc.integer({ min: 1, max: 5 })
    })
  },
  { weight: 4, arbitrary: fc.constant({ _tag: "claim" as const }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("fail" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ _tag: fc.constant("weigh" as const), user: fc.nat(USERS - 1), weight: aWeight })
  }
)

interface ModelJob {
  readonly id: string
  readonly user: string
  readonly seq: number
  status: "pending" | "processing" | "done"
}

/** The reference scheduler. */
class Model {
  readonly jobs: Array<ModelJob> = []
  turns = new Map<string, number>()
  next = 1
  weights = new Map<string, number>()
  /** Jobs served in the user's current turn. */
  served = new Map<string, number>()

  newTurn(user: string) {
    this.turns.set(user, this.next++)
    this.served.set(user, 0)
  }
  pendingOf(user: string) {
    return this.jobs.filter((j) => j.user === user && j.status === "pending").length
  }
  enter(job: ModelJob) {
    if (this.pendingOf(job.user) === 0) this.newTurn(job.user)
    job.status = "pending"
  }
  insert(jobs: ReadonlyArray<Job>) {
    for (const j of jobs) {
      const job: ModelJob = { id: j.id, user: j.userId, seq: j.seq, status: "done" }
      this.enter(job)
      this.jobs.push(job)
    }
  }
  /** The job the next claim takes (and takes it). */
  claim(): ModelJob | undefined {
    const waiting = [...new Set(this.jobs.filter((j) => j.status === "pending").map((j) => j.user))]
    if (waiting.length === 0) return undefined
    const user = waiting.sort((a, b) => this.turns.get(a)! - this.turns.get(b)!)[0]!
    const job = this.jobs.filter((j) => j.user === user && j.status === "pending").sort((a, b) => a.seq - b.seq)[0]!
    job.status = "processing"
    const served = (this.served.get(user) ?? 0) + 1
    if (served >= (this.weights.get(user) ?? 1)) this.newTurn(user)
    else this.served.set(user, served)
    return job
  }
  /** The order a drain would take the pending jobs in, leaving the model as it is. */
  drainOrder(): ReadonlyArray<string> {
    const copy = new Model()
    copy.jobs.push(...this.jobs.map((j) => ({ ...j })))
    copy.turns = new Map(this.turns)
    copy.next = this.next
    copy.weights = new Map(this.weights)
    copy.served = new Map(this.served)
    const order: Array<string> = []
    for (let job = copy.claim(); job !== undefined; job = copy.claim()) order.push(job.id)
    return order
  }
}

/** What the property drives: a store's Repo, and its lease side as the queue uses it. */
interface Store {
  readonly repo: RepoService
  readonly leases: {
    readonly claimNext: (request: JobLeases.ClaimRequest) => Effect.Effect<Option.Option<Job>, unknown>
    readonly release: (lease: Lease, retry: Retry) => Effect.Effect<boolean, unknown>
    readonly fail: (lease: Lease, failure: Failure) => Effect.Effect<boolean, unknown>
  }
}

const now = new Date("2026-11-22T10:00:00.000Z")
const leaseUntil = new Date(now.getTime() + 60_000)
const claimNow = { workerId: "w", now, leaseUntil }

const run = (store: Store, weights: ReadonlyArray<number>, ops: ReadonlyArray<Op>) =>
  Effect.gen(function* () {
    const { repo, leases } = store
    const model = new Model()
    const users: ReadonlyArray<AuthUser> = Array.from({ length: USERS }, (_, i) => freshUser(`fair-${i}`))
    const weigh = (user: AuthUser, w: number) =>
      Effect.gen(function* () {
        yield* repo.setQueueWeight(user.id, w)
        model.weights.set(user.id, w)
      })
    for (const [i, user] of users.entries()) {
      yield* repo.upsertUser(user, now)
      yield* weigh(user, weights[i]!)
    }
    const processing = () => model.jobs.filter((j) => j.status === "processing")
    const pending = () => model.jobs.filter((j) => j.status === "pending").sort((a, b) => a.seq - b.seq)

    for (const step of ops) {
      switch (step._tag) {
        case "insert": {
          const owner = users[step.user]!
          model.insert(yield* repo.insertJobs(recipients(step.count).map((name) => newJob(owner, now, name))))
          break
        }
        case "claim": {
          const claimed = yield* leases.claimNext(claimNow)
          expect(Option.map(claimed, (j) => j.id as string)).toEqual(Option.fromNullable(model.claim()?.id))
          break
        }
        case "release":
        case "fail": {
          const held = processing()
          if (held.length === 0) break
          const job = held[step.pick % held.length]!
          const lease = { jobId: job.id as JobId, workerId: "w" }
          const error = { message: "upstream down", type: "UpstreamUnavailable", failedStep: null }
          if (step._tag === "release") {
            expect(yield* leases.release(lease, { availableAt: now, lastError: error })).toBe(true)
            model.enter(job)
          } else {
            expect(yield* leases.fail(lease, { ...error, stepTimings: {}, now })).toBe(true)
            job.status = "done"
          }
          break
        }
        case "weigh": {
          yield* weigh(users[step.user]!, step.weight)
          break
        }
        case "cancel": {
          const line = pending()
          if (line.length === 0) break
          const job = line[step.pick % line.length]!
          const owner = users.find((u) => u.id === job.user)!
          expect((yield* repo.cancelPending(owner.id, job.id as JobId))._tag).toBe("Cancelled")
          job.status = "done"
          break
        }
      }
    }

    const expected = new Map(model.drainOrder().map((id, i) => [id, i + 1] as const))
    for (const user of users) {
      for (const entry of yield* repo.listQueue(user.id, new Date(0))) {
        expect([entry.job.id, entry.job.status, entry.position]).toEqual([
          entry.job.id,
          entry.job.status,
          expected.get(entry.job.id) ?? null
        ])
      }
    }
    const taken: Array<string> = []
    for (let claimed = yield* leases.claimNext(claimNow); Option.isSome(claimed); ) {
      taken.push(claimed.value.id)
      claimed = yield* leases.claimNext(claimNow)
    }
    expect(taken).toEqual([...expected.keys()])
  })

const property = (fresh: Effect.Effect<Store, unknown>, numRuns: number) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(aWeight, { minLength: USERS, maxLength: USERS }),
          fc.array(op, { minLength: 1, maxLength: 50 }),
          (weights, ops) => Runtime.runPromise(runtime)(Effect.flatMap(fresh, (store) => run(store, weights, ops)))
        ),
        { numRuns }
      )
    )
  })

/** Empty tables, then the fair Repo and leases over them. */
const freshSql = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, users`
  return { repo: yield* SqlRepo.makeWith("fair"), leases: yield* JobLeases.makeWith("fair") } satisfies Store
})

const sqlSuite = (name: string, store: Layer.Layer<SqlClient.SqlClient, unknown>, numRuns: number) =>
  layer(store, { timeout: 180_000 })(name, (it) => {
    it.effect(
      "claims, positions and a drain follow the reference weighted round-robin, after any sequence of changes",
      () =>
        Effect.gen(function* () {
          const context = yield* Effect.context<SqlClient.SqlClient>()
          yield* property(Effect.provide(freshSql, context), numRuns)
        }),
      180_000
    )
  })

describe("fair order against its reference model (memory)", () => {
  layer(Layer.empty)("memory", (it) => {
    it.effect(
      "claims, positions and a drain follow the reference weighted round-robin, after any sequence of changes",
      () =>
        property(
          Effect.map(RepoMemory.makeStoreWith("fair"), ({ repo, leases }) => ({ repo, leases })),
          200
        )
    )
  })
})

describe("fair order against its reference model (PGlite)", () => {
  sqlSuite("PGlite", Database.layerPglite("memory"), 40)
})

await describePostgres("fair order against its reference model (Postgres)", () => {
  sqlSuite("Postgres", layerTempPostgres(), 60)
})
