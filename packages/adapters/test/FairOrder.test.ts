import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import type { AuthUser } from "@scribe/core/auth/AuthUser"
import { InvalidQueueWeight } from "@scribe/core/jobs/FairOrder"
import type { Job } from "@scribe/core/jobs/Job"
import { Repo } from "@scribe/core/store/Repo"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import type { Context } from "effect"
import { ConfigProvider, Effect, Either, Layer, Option } from "effect"
import * as Database from "../src/sql/Database"
import * as JobLeases from "../src/sql/JobLeases"
import * as SqlRepo from "../src/sql/SqlRepo"
import { freshUser, insertJobsFor, recipients } from "../testkit/Jobs"
import { layerTempPostgres } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"

const now = new Date("2026-11-22T10:00:00.000Z")
const leaseUntil = new Date(now.getTime() + 60_000)

/** Every pending job's listed position, across the users. */
const positions = (users: ReadonlyArray<AuthUser>) =>
  Effect.gen(function* () {
    const repo = yield* Repo
    const all = new Map<string, number>()
    for (const user of users) {
      for (const entry of yield* repo.listQueue(user.id, new Date(0))) {
        if (entry.position !== null) all.set(entry.job.id, entry.position)
      }
    }
    return all
  })

/** Claims until nothing is left; the jobs in the order they were taken. */
const drain = Effect.gen(function* () {
  const leases = yield* JobLeases.JobLeases
  const taken: Array<{ readonly id: string; readonly userId: string }> = []
  for (;;) {
    const claimed = yield* leases.claimNext({ workerId: "w", now, leaseUntil })
    if (Option.isNone(claimed)) return taken
    taken.push({ id: claimed.value.id, userId: claimed.value.userId })
  }
})

/**
 * Cap 2: user A's batch of 6 has 3 running (nobody else waited); user B then submits 2, and both are taken before A's
 * next although round-robin alone would alternate; with B's line empty, A's jobs are taken again (no worker idles).
 */
const capScenario = (store: {
  readonly repo: Context.Tag.Service<Repo>
  readonly leases: {
    readonly claimNext: (r: JobLeases.ClaimRequest) => Effect.Effect<Option.Option<Job>, unknown>
  }
}) =>
  Effect.gen(function* () {
    const { repo, leases } = store
    const [a, b] = [freshUser("capped"), freshUser("waiting")]
    const claim = Effect.map(
      leases.claimNext({ workerId: "w", now, leaseUntil }),
      (c) => Option.getOrThrow(c).recipientName
    )
    yield* insertJobsFor(repo, a, now, ["A1", "A2", "A3", "A4", "A5", "A6"])
    expect([yield* claim, yield* claim, yield* claim]).toEqual(["A1", "A2", "A3"])
    yield* insertJobsFor(repo, b, now, ["B1", "B2"])
    expect([yield* claim, yield* claim, yield* claim]).toEqual(["B1", "B2", "A4"])
    // A job whose lease has lapsed no longer counts as running.
    const later = new Date(leaseUntil.getTime() + 1)
    yield* insertJobsFor(repo, b, now, ["B3"])
    const next = yield* leases.claimNext({ workerId: "w", now: later, leaseUntil: new Date(later.getTime() + 60_000) })
    expect(Option.map(next, (j) => j.recipientName)).toEqual(Option.some("A1"))
  })

const byPosition = (listed: ReadonlyMap<string, number>) =>
  [...listed.entries()].sort((x, y) => x[1] - y[1]).map(([id]) => id)

interface WeightStore {
  readonly repo: Context.Tag.Service<Repo>
  readonly leases: {
    readonly claimNext: (r: JobLeases.ClaimRequest) => Effect.Effect<Option.Option<Job>, unknown>
  }
}

/**
 * A (weight 2) and B (weight 1) with 4 jobs each, A first in line. A turn of A serves two of A's jobs, then B's serves
 * one, until B alone is left: A1 A2 B1 A3 A4 B2 B3 B4, as the positions listed beforehand showed.
 */
const weightedLine = ({ repo, leases }: WeightStore, a: AuthUser, b: AuthUser) =>
  Effect.gen(function* () {
    yield* insertJobsFor(repo, a, now, ["A1", "A2", "A3", "A4"])
    yield* insertJobsFor(repo, b, now, ["B1", "B2", "B3", "B4"])
    const listed = new Map<string, number>()
    for (const user of [a, b]) {
      for (const entry of yield* repo.listQueue(user.id, new Date(0))) {
        if (entry.position !== null) listed.set(entry.job.recipientName, entry.position)
      }
    }
    const expected = ["A1", "A2", "B1", "A3", "A4", "B2", "B3", "B4"]
    expect(byPosition(listed)).toEqual(expected)
    expect([...listed.values()].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const taken: Array<string> = []
    for (let c = yield* leases.claimNext({ workerId: "w", now, leaseUntil }); Option.isSome(c); ) {
      taken.push(c.value.recipientName)
      c = yield* leases.claimNext({ workerId: "w", now, leaseUntil })
    }
    expect(taken).toEqual(expected)
  })

/** Weights: a weight that is not an integer from 1 to 100 is refused; then the weighted line above. */
const weightScenario = (store: WeightStore) =>
  Effect.gen(function* () {
    const [a, b] = [freshUser("heavy"), freshUser("light")]
    for (const weight of [0, -1, 101, 2.5]) {
      expect(yield* Effect.flip(store.repo.setQueueWeight(a.id, weight))).toEqual(new InvalidQueueWeight({ weight }))
    }
    yield* store.repo.setQueueWeight(a.id, 2)
    yield* weightedLine(store, a, b)
    return [a, b] as const
  })

const suite = (name: string, store: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  layer(Layer.provideMerge(Layer.merge(SqlRepo.layerWith("fair"), JobLeases.layerWith("fair")), store), {
    timeout: 120_000
  })(name, (it) => {
    it.effect(
      "batches of 100, 10 and 1: the single job starts within 3 claims, in the order the positions showed",
      () =>
        Effect.gen(function* () {
          const repo = yield* Repo
          const [a, b, c] = [freshUser("hundred"), freshUser("ten"), freshUser("one")]
          const aJobs = yield* insertJobsFor(repo, a, now, recipients(100))
          yield* insertJobsFor(repo, b, now, recipients(10))
          const [single] = yield* insertJobsFor(repo, c, now, ["Dr. Single"])
          const listed = yield* positions([a, b, c])
          expect(listed.size).toBe(111)
          expect(new Set(listed.values()).size).toBe(111)
          expect(listed.get(single!.id)).toBe(3)
          const aPositions = aJobs.map((j) => listed.get(j.id)!)
          expect(aPositions.every((p, i) => i === 0 || p > aPositions[i - 1]!)).toBe(true)
          const taken = yield* drain
          expect(taken.slice(0, 3).map((t) => t.id)).toContain(single!.id)
          expect(taken.map((t) => t.id)).toEqual(byPosition(listed))
        })
    )

    it.effect("a running cap per user: a capped user is passed over while another waits, never idling a worker", () =>
      Effect.gen(function* () {
        const repo = yield* Repo
        const sql = yield* SqlClient.SqlClient
        const empty = sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, users`
        yield* empty
        const leases = yield* JobLeases.makeWith("fair", { maxRunningPerUser: 2 })
        yield* capScenario({ repo, leases })
        yield* empty
      })
    )

    it.effect("weights: a user of weight 2 is served two jobs a turn, in the order the positions showed", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const empty = sql`TRUNCATE usage_daily_models, usage_daily, idempotency_keys, emails, queue_items, resume_templates, users`
        yield* empty
        const store = { repo: yield* Repo, leases: yield* JobLeases.JobLeases }
        const [a, b] = yield* weightScenario(store)
        // Emptying the queue table keeps the weights set.
        yield* empty
        yield* weightedLine(store, a, b)
        yield* empty
      })
    )

    it.effect("cancels and retries keep everyone's positions equal to the order claims take", () =>
      Effect.gen(function* () {
        const repo = yield* Repo
        const leases = yield* JobLeases.JobLeases
        const [a, b, c] = [freshUser("a"), freshUser("b"), freshUser("c")]
        const aJobs = yield* insertJobsFor(repo, a, now, recipients(8))
        const bJobs = yield* insertJobsFor(repo, b, now, recipients(4))
        yield* insertJobsFor(repo, c, now, recipients(2))
        const first = Option.getOrThrow(yield* leases.claimNext({ workerId: "w", now, leaseUntil }))
        expect(first.id).toBe(aJobs[0]!.id)
        expect((yield* repo.cancelPending(a.id, aJobs[3]!.id))._tag).toBe("Cancelled")
        expect((yield* repo.cancelPending(b.id, bJobs[1]!.id))._tag).toBe("Cancelled")
        const retried = yield* leases.release(
          { jobId: first.id, workerId: "w" },
          { availableAt: now, lastError: { message: "503", type: "UpstreamUnavailable", failedStep: null } }
        )
        expect(retried).toBe(true)
        const listed = yield* positions([a, b, c])
        // The retried job keeps its place at the head of its user's line.
        const aListed = (yield* repo.listQueue(a.id, new Date(0))).filter((e) => e.position !== null)
        expect(aListed[0]!.job.id).toBe(first.id)
        expect(aListed.map((e) => e.position!).every((p, i, all) => i === 0 || p > all[i - 1]!)).toBe(true)
        const taken = yield* drain
        expect(taken.map((t) => t.id)).toEqual(byPosition(listed))
      })
    )
  })

describe("SCRIBE_QUEUE_ORDER", () => {
  it.effect("fair by default, fifo when asked, anything else fails at start naming the variable", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.either(
          Effect.withConfigProvider(JobLeases.orderConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      expect(yield* read({})).toEqual(Either.right("fair"))
      expect(yield* read({ SCRIBE_QUEUE_ORDER: "fifo" })).toEqual(Either.right("fifo"))
      const bad = yield* read({ SCRIBE_QUEUE_ORDER: "random" })
      expect(Either.isLeft(bad) && String(bad.left)).toContain("SCRIBE_QUEUE_ORDER")
    })
  )
})

describe("SCRIBE_MAX_RUNNING_PER_USER", () => {
  it.effect("half the worker's slots by default (at least 1), as set when set, a non-positive value refused", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.either(
          Effect.withConfigProvider(JobLeases.limitsConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      expect(yield* read({ SCRIBE_WORKER_CONCURRENCY: "32" })).toEqual(Either.right({ maxRunningPerUser: 16 }))
      expect(yield* read({ SCRIBE_WORKER_CONCURRENCY: "1" })).toEqual(Either.right({ maxRunningPerUser: 1 }))
      expect(yield* read({ SCRIBE_MAX_RUNNING_PER_USER: "3" })).toEqual(Either.right({ maxRunningPerUser: 3 }))
      const bad = yield* read({ SCRIBE_MAX_RUNNING_PER_USER: "0" })
      expect(Either.isLeft(bad) && String(bad.left)).toContain("SCRIBE_MAX_RUNNING_PER_USER")
    })
  )
})

describe("fair order (memory)", () => {
  it.effect("a running cap per user: a capped user is passed over while another waits, never idling a worker", () =>
    Effect.flatMap(RepoMemory.makeStoreWith("fair", { maxRunningPerUser: 2 }), capScenario)
  )
  it.effect("weights: a user of weight 2 is served two jobs a turn, in the order the positions showed", () =>
    Effect.asVoid(Effect.flatMap(RepoMemory.makeStoreWith("fair"), weightScenario))
  )
})

describe("fair order (PGlite)", () => {
  suite("fair order (PGlite)", Database.layerPglite("memory"))
})

await describePostgres("fair order (Postgres)", () => {
  suite("fair order (Postgres)", layerTempPostgres())
})
