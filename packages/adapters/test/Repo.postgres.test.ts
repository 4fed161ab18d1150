import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { newJob, recipients } from "../testkit/Jobs"
import { layerTempPostgres } from "../testkit/TempPostgres"
import { describePostgres } from "../testkit/TestDatabase"
import { freshSqlRepo, repoContract, setupRepo, sqlChecks } from "./RepoContract"

await describePostgres("Repo (Postgres)", () =>
  repoContract("Repo (Postgres)", {
    // A pool wide enough for the concurrent-submission tests to use separate connections.
    layer: layerTempPostgres({ maxConnections: 24 }),
    fresh: freshSqlRepo,
    extra: (it, fresh) => {
      sqlChecks(it, fresh)

      /** The contract's setup; `jobs(n)` makes n new jobs of its first user. */
      const setup = Effect.map(setupRepo(fresh), ({ repo, t0, a }) => ({
        repo,
        now: t0,
        owner: a,
        jobs: (n: number) => recipients(n, "Recipient").map((name) => newJob(a, t0, name))
      }))

      it.effect("concurrent batches of one user cannot together cross the active-jobs cap", () =>
        Effect.gen(function* () {
          const { repo, now, owner, jobs } = yield* setup
          // 10 batches of 3 against a cap of 10: exactly 3 fit, whatever the interleaving
          const outcomes = yield* Effect.all(
            Array.from({ length: 10 }, () =>
              repo.submitJobs({ userId: owner.id, jobs: jobs(3), idempotency: null, maxActive: 10 })
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
          const { repo, now, owner, jobs } = yield* setup
          const key = { userId: owner.id, key: "retry-me", request: "the same request", now }
          const outcomes = yield* Effect.all(
            Array.from({ length: 10 }, () => repo.insertJobsOnce(key, jobs(2))),
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
