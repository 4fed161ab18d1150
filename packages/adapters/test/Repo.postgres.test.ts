import { randomUUID } from "node:crypto"
import { expect } from "@effect/vitest"
import { JobId, UserId } from "@scribe/core/Ids"
import { NewJob } from "@scribe/core/Job"
import { AuthUser } from "@scribe/core/User"
import { Effect, Option } from "effect"
import { describePostgres, layerTempPostgres } from "../testkit/TestDatabase"
import { freshSqlRepo, repoContract, sqlChecks } from "./RepoContract"

const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"

await describePostgres("Repo (Postgres)", () =>
  repoContract("Repo (Postgres)", {
    // A pool wide enough for the concurrent-claim test to use separate connections.
    layer: layerTempPostgres({ maxConnections: 24 }),
    fresh: freshSqlRepo,
    extra: (it, fresh) => {
      sqlChecks(it, fresh)

      it.effect("20 concurrent claims over 10 jobs take each job exactly once", () =>
        Effect.gen(function* () {
          const repo = yield* fresh
          const now = new Date("2026-03-01T09:00:00.000Z")
          const owner = new AuthUser({ id: UserId.make(`u-${randomUUID()}`), email: null })
          yield* repo.upsertUser(owner, now)
          const jobs = yield* repo.insertJobs(
            Array.from(
              { length: 10 },
              (_, i) =>
                new NewJob({
                  id: JobId.make(randomUUID()),
                  userId: owner.id,
                  batchId: null,
                  recipientName: `Recipient ${i}`,
                  recipientInterest: "distributed systems",
                  emailTemplate: template,
                  createdAt: now
                })
            )
          )
          const leaseUntil = new Date(now.getTime() + 60_000)
          const claims = yield* Effect.all(
            Array.from({ length: 20 }, (_, i) => repo.claimNext({ workerId: `w${i}`, now, leaseUntil })),
            { concurrency: "unbounded" }
          )
          const claimed = claims.flatMap(Option.toArray)
          expect(claimed).toHaveLength(10)
          expect(new Set(claimed.map((j) => j.id))).toEqual(new Set(jobs.map((j) => j.id)))
          expect(claimed.every((j) => j.attempts === 1)).toBe(true)
          expect(yield* repo.claimNext({ workerId: "late", now, leaseUntil })).toEqual(Option.none())
        })
      )

      it.effect("concurrent batches of one user cannot together cross the active-jobs cap", () =>
        Effect.gen(function* () {
          const repo = yield* fresh
          const now = new Date("2026-03-01T09:00:00.000Z")
          const owner = new AuthUser({ id: UserId.make(`u-${randomUUID()}`), email: null })
          yield* repo.upsertUser(owner, now)
          const batch = (n: number) =>
            Array.from(
              { length: n },
              (_, i) =>
                new NewJob({
                  id: JobId.make(randomUUID()),
                  userId: owner.id,
                  batchId: null,
                  recipientName: `Recipient ${i}`,
                  recipientInterest: "distributed systems",
                  emailTemplate: template,
                  createdAt: now
                })
            )
          // 10 batches of 3 against a cap of 10: exactly 3 fit, whatever the interleaving
          const outcomes = yield* Effect.all(
            Array.from({ length: 10 }, () =>
              repo.submitJobs({ userId: owner.id, jobs: batch(3), idempotency: null, maxActive: 10 })
            ),
            { concurrency: "unbounded" }
          )
          expect(outcomes.filter((o) => o._tag === "Inserted")).toHaveLength(3)
          expect(outcomes.filter((o) => o._tag === "OverCap")).toHaveLength(7)
          expect(yield* repo.listQueue(owner.id, now)).toHaveLength(9)
        })
      )

      it.effect("10 concurrent submissions with one idempotency key create one set of jobs", () =>
        Effect.gen(function* () {
          const repo = yield* fresh
          const now = new Date("2026-03-01T09:00:00.000Z")
          const owner = new AuthUser({ id: UserId.make(`u-${randomUUID()}`), email: null })
          yield* repo.upsertUser(owner, now)
          const attempt = () =>
            [0, 1].map(
              (i) =>
                new NewJob({
                  id: JobId.make(randomUUID()),
                  userId: owner.id,
                  batchId: null,
                  recipientName: `Recipient ${i}`,
                  recipientInterest: "distributed systems",
                  emailTemplate: template,
                  createdAt: now
                })
            )
          const key = { userId: owner.id, key: "retry-me", request: "the same request", now }
          const outcomes = yield* Effect.all(
            Array.from({ length: 10 }, () => repo.insertJobsOnce(key, attempt())),
            { concurrency: "unbounded" }
          )
          const inserted = outcomes.flatMap((o) => (o._tag === "Inserted" ? [o.jobs.map((j) => j.id)] : []))
          expect(inserted).toHaveLength(1)
          for (const o of outcomes) if (o._tag === "Replayed") expect(o.jobIds).toEqual(inserted[0])
          expect(outcomes.filter((o) => o._tag === "Replayed")).toHaveLength(9)
          expect(yield* repo.listQueue(owner.id, now)).toHaveLength(2)
        })
      )
    }
  })
)
