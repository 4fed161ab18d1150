import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  type Child,
  describeDispatches,
  inspector,
  printed,
  scenarioEnv,
  sigkill,
  spawnFixture,
  storesFrom,
  submitBatch,
  waitUntil
} from "./Harness"

const JOBS = 50
const KILLS = 10

/**
 * Three real worker processes (the production composition, a scripted 4 × 100 ms generator) work through a
 * 50-job batch; ten times, the process holding a job in the middle of its first attempt is SIGKILLed and a fresh one
 * started in its place. Leases are 30 s, so a killed job taken again within 5 s was handed back by the heartbeats
 * (a dead worker is silent), not by its lease expiring.
 */
const crashScenario = (redis: boolean) =>
  Effect.gen(function* () {
    const { url, env } = yield* scenarioEnv("crash", redis, {
      SCRIBE_LEASE_SECONDS: "30",
      SCRIBE_QUEUE_POLL_SECONDS: "2",
      SCRIBE_QUEUE_RECONCILE_SECONDS: "1",
      SCRIBE_RETRY_BASE_SECONDS: "0.2",
      // One job per worker at a time (the default is 8): the batch must outlast the ten kills, each of which needs a
      // job early in its first attempt.
      SCRIBE_WORKER_CONCURRENCY: "1",
      SCRIPTED_STEP_MILLIS: "100"
    })
    const api = yield* storesFrom(env)
    const look = yield* inspector(url)
    const { jobs } = yield* submitBatch(api.repo, JOBS, "crash")

    // Workers start warm (modules loaded, waiting for "go"), so a killed one is replaced at once.
    const live = new Map<string, Child>()
    const spares: Array<Effect.Effect<Child>> = []
    let started = 0
    const warmSpare = Effect.gen(function* () {
      started += 1
      const name = `crash${started}`
      const child = yield* spawnFixture("scripted-worker.ts", name, {
        ...env,
        SCRIBE_WORKER_NAME: name,
        WAIT_FOR_GO: "1"
      })
      // Warming runs in the background; taking the spare waits until it is ready.
      const ready = yield* Effect.cached(Effect.as(printed(child, "ready"), child))
      spares.push(ready)
    })
    const startWorker = Effect.gen(function* () {
      const next =
        spares.shift() ??
        (yield* Effect.zipRight(
          warmSpare,
          Effect.sync(() => spares.shift()!)
        ))
      const child = yield* next
      child.process.stdin?.write("go\n")
      live.set(child.name, child)
      if (spares.length === 0) yield* warmSpare
    })
    // Three workers at a time, one spare warming.
    yield* warmSpare
    for (let i = 0; i < 3; i++) yield* startWorker

    const killed: Array<string> = []
    const killedAt = new Map<string, number>()
    for (let k = 0; k < KILLS; k++) {
      // Claimed in the last 120 ms of a 400 ms job: the kill lands mid-job even on a loaded machine (the step shown
      // alone can lag, as the first progress write is deferred).
      let victim: { readonly id: string; readonly worker: string } | undefined
      yield* waitUntil(
        `a job early in its first attempt on a live worker (kill ${k + 1})`,
        Effect.gen(function* () {
          const rows = yield* look.sql<{ readonly id: string; readonly lease_owner: string }>`
            SELECT id, lease_owner FROM queue_items
            WHERE status = 'processing' AND attempts = 1 AND current_step IN ('template_parser', 'web_scraper')
              AND claimed_at > now() - interval '120 milliseconds'`
          const row = rows.find((r) => live.has(r.lease_owner.split("/")[0] ?? ""))
          victim = row === undefined ? undefined : { id: row.id, worker: row.lease_owner.split("/")[0]! }
          return victim !== undefined
        }),
        60_000,
        15
      )
      const target = live.get(victim!.worker)!
      killedAt.set(victim!.id, Date.now())
      yield* sigkill(target)
      live.delete(victim!.worker)
      killed.push(victim!.id)
      yield* startWorker
    }

    const outputs = () => [...live.values()].map((c) => `--- ${c.name}\n${c.output()}`).join("\n")
    yield* waitUntil(
      `all ${JOBS} jobs completed`,
      Effect.map(look.statuses, (s) => s.completed === JOBS),
      120_000,
      200
    ).pipe(Effect.tapError(() => Effect.sync(() => console.error(outputs()))))

    expect(yield* look.statuses).toEqual({ completed: JOBS })
    expect(yield* look.emails).toEqual({ total: JOBS, jobs: JOBS, orphans: 0 })
    const rows = yield* look.sql<{ readonly id: string; readonly attempts: number; readonly email_id: string }>`
      SELECT q.id, q.attempts, q.email_id FROM queue_items q`
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(jobs.map((j) => j.id)))
    // Every killed job was taken again and finished on a later attempt.
    expect(new Set(killed).size).toBe(KILLS)
    const attemptsOf = new Map(rows.map((r) => [r.id, r.attempts]))
    expect(killed.map((id) => (attemptsOf.get(id) ?? 0) >= 2)).toEqual(killed.map(() => true))
    // ... within 5 s of its holder's death, by the claim time recorded with the job (its latest claim).
    const claims = yield* look.sql<{ readonly id: string; readonly claimed_at: Date }>`
      SELECT id, claimed_at FROM queue_items WHERE claimed_at IS NOT NULL`
    const claimedAt = new Map(claims.map((r) => [r.id, r.claimed_at.getTime()]))
    const delays = killed.map((id) => (claimedAt.get(id) ?? Number.POSITIVE_INFINITY) - killedAt.get(id)!)
    expect(delays.filter((ms) => !(ms > 0 && ms <= 5000))).toEqual([])
    // Every email belongs to its job, one each.
    const pairs = yield* look.sql<{ readonly n: number }>`
      SELECT count(*)::int AS n FROM emails e JOIN queue_items q ON q.email_id = e.id AND e.job_id = q.id`
    expect(pairs[0]!.n).toBe(JOBS)
  }).pipe(Effect.scoped)

/**
 * A worker frozen mid-job (SIGSTOP: its process and connections stay, it only stops answering) loses the job to a live
 * worker within 5 s although its 30 s lease stands; thawed, it cannot complete the job it no longer holds: one
 * completion, one email.
 */
const frozenScenario = (redis: boolean) =>
  Effect.gen(function* () {
    const { url, env } = yield* scenarioEnv("frozen", redis, {
      SCRIBE_LEASE_SECONDS: "30",
      SCRIBE_QUEUE_POLL_SECONDS: "2",
      SCRIBE_QUEUE_RECONCILE_SECONDS: "1",
      SCRIBE_WORKER_CONCURRENCY: "1",
      SCRIPTED_STEP_MILLIS: "1500"
    })
    const api = yield* storesFrom(env)
    const look = yield* inspector(url)
    const start = (name: string) =>
      Effect.gen(function* () {
        const child = yield* spawnFixture("scripted-worker.ts", name, {
          ...env,
          SCRIBE_WORKER_NAME: name,
          WAIT_FOR_GO: "1"
        })
        yield* printed(child, "ready")
        child.process.stdin?.write("go\n")
        return child
      })
    const frozen = yield* start("frozen")
    const { jobs } = yield* submitBatch(api.repo, 1, "frozen")
    const job = jobs[0]!
    yield* waitUntil(
      "the job running on the worker to be frozen",
      Effect.map(
        look.sql<{ readonly n: number }>`
          SELECT count(*)::int AS n FROM queue_items WHERE id = ${job.id} AND lease_owner LIKE 'frozen/%'`,
        (rows) => rows[0]!.n === 1
      ),
      30_000,
      20
    )
    const frozenAt = Date.now()
    frozen.process.kill("SIGSTOP")
    yield* start("thawed-later-taker")
    yield* waitUntil(
      "the job taken by the live worker",
      Effect.map(
        look.sql<{
          readonly n: number
        }>`SELECT count(*)::int AS n FROM queue_items WHERE id = ${job.id} AND attempts = 2`,
        (rows) => rows[0]!.n === 1
      ),
      30_000,
      20
    )
    const [claim] = yield* look.sql<{
      readonly claimed_at: Date
    }>`SELECT claimed_at FROM queue_items WHERE id = ${job.id}`
    expect(claim!.claimed_at.getTime() - frozenAt).toBeLessThanOrEqual(5000)
    frozen.process.kill("SIGCONT")
    yield* waitUntil(
      "the job completed",
      Effect.map(look.statuses, (st) => st.completed === 1),
      60_000,
      50
    )
    // The thawed worker finishes its run too; whatever it writes finds the job held by another.
    yield* Effect.sleep("4 seconds")
    expect(yield* look.statuses).toEqual({ completed: 1 })
    expect(yield* look.emails).toEqual({ total: 1, jobs: 1, orphans: 0 })
  }).pipe(Effect.scoped)

await describeDispatches("worker crash recovery (SIGKILL, SIGSTOP)", (redis) => {
  it.live(
    `${redis ? "Redis" : "Postgres"} dispatch: a worker frozen mid-job loses it to a live one within 5 s; one email`,
    () => frozenScenario(redis),
    { timeout: 120_000 }
  )

  it.live(
    `${redis ? "Redis" : "Postgres"} dispatch: ${KILLS} workers killed mid-job across ${JOBS} jobs ⇒ ${JOBS} completed, ${JOBS} emails`,
    () => crashScenario(redis),
    { timeout: 180_000 }
  )
})
