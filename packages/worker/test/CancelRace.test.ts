import { expect, it } from "@effect/vitest"
import * as Queue from "@scribe/core/jobs/QueueUseCases"
import { Repo } from "@scribe/core/store/Repo"
import { Effect, Either } from "effect"
import {
  describeDispatches,
  inspector,
  liveSleep,
  runWorker,
  scenarioEnv,
  storesFrom,
  submitBatch,
  waitUntil
} from "./Harness"

const ROUNDS = 100

/**
 * Each round submits one job — which wakes the idle worker at once — and cancels it a few milliseconds later, so the
 * cancel and the claim race. Whichever wins, a cancelled job must never be processed into an email.
 */
const race = (redis: boolean) =>
  Effect.gen(function* () {
    const { url, env } = yield* scenarioEnv("cancel", redis, { SCRIBE_WORKER_CONCURRENCY: "2" })
    const api = yield* storesFrom(env)
    const look = yield* inspector(url)
    yield* runWorker(env)

    const cancelled: Array<string> = []
    const refused: Array<string> = []
    for (let round = 0; round < ROUNDS; round++) {
      const { owner, jobs } = yield* submitBatch(api.repo, 1, "race")
      const job = jobs[0]!
      // Now at once, now after a few milliseconds: the claim wins some rounds, the cancel others.
      if (round % 3 !== 0) yield* liveSleep(round % 6)
      const outcome = yield* Effect.either(Queue.cancel(owner, job.id)).pipe(Effect.provideService(Repo, api.repo))
      if (Either.isRight(outcome)) {
        cancelled.push(job.id)
      } else {
        expect(outcome.left._tag).toBe("CannotCancel")
        refused.push(job.id)
      }
    }
    yield* waitUntil(
      "every job that was not cancelled to complete",
      Effect.map(look.statuses, (s) => (s.completed ?? 0) === refused.length),
      30_000
    )
    yield* liveSleep(300)

    expect(cancelled.length + refused.length).toBe(ROUNDS)
    // The race went both ways.
    expect(cancelled.length).toBeGreaterThan(0)
    expect(refused.length).toBeGreaterThan(0)
    expect(yield* look.statuses).toEqual({ completed: refused.length })
    expect(yield* look.emails).toEqual({ total: refused.length, jobs: refused.length, orphans: 0 })
    const rows = yield* look.sql<{ readonly n: number }>`
      SELECT count(*)::int AS n FROM queue_items WHERE id IN ${look.sql.in(cancelled)}`
    expect(rows[0]!.n).toBe(0)
    const leaked = yield* look.sql<{ readonly n: number }>`
      SELECT count(*)::int AS n FROM emails WHERE job_id IN ${look.sql.in(cancelled)}`
    expect(leaked[0]!.n).toBe(0)
  }).pipe(Effect.scoped)

await describeDispatches("cancel racing the claim", (redis) => {
  it.live(
    `${redis ? "Redis dispatch" : "Postgres"}: ${ROUNDS} rounds ⇒ never an email for a cancelled job`,
    () => race(redis),
    { timeout: 60_000 }
  )
})
