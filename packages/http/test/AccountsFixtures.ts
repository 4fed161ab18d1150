import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import * as SqlAdminQueries from "@scribe/adapters/sql/SqlAdminQueries"
import * as SqlProfileRepo from "@scribe/adapters/sql/SqlProfileRepo"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import * as SqlTemplateStore from "@scribe/adapters/sql/SqlTemplateStore"
import { emailFor } from "@scribe/adapters/testkit/Jobs"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import * as World from "@scribe/adapters/testkit/World"
import type { AdminQueries } from "@scribe/core/admin/AdminQueries"
import type { Job } from "@scribe/core/jobs/Job"
import type { HealthProbe } from "@scribe/core/ops/HealthProbe"
import type { Repo } from "@scribe/core/store/Repo"
import type { TemplateStore } from "@scribe/core/templates/TemplateStore"
import type { ProfileRepo } from "@scribe/core/users/ProfileRepo"
import { Effect, Layer, Option } from "effect"
import { StoreLeases } from "./ApiSuite"
import { call, tokenFor } from "./TestServer"

/** The stores the account routes run on: the Repo and the profile, template and admin stores over the same data. */
export type AccountStores = Repo | HealthProbe | ProfileRepo | TemplateStore | AdminQueries | StoreLeases

/** The SQL stores of `AccountStores`, on the database `SqlClient` names (PGlite or PostgreSQL). */
export const sqlAccountStores = Layer.mergeAll(
  SqlRepo.layer,
  StoreHealth.layer,
  SqlProfileRepo.layer,
  SqlTemplateStore.layer,
  SqlAdminQueries.layer,
  Layer.effect(StoreLeases, JobLeases.make)
)

export const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"
export const newUser = () => crypto.randomUUID()

/** The simulated world serving the résumé fixtures. */
export const worldWithResumes = Layer.unwrapEffect(
  Effect.map(
    Effect.promise(() => Resumes.pagesFor()),
    (pages) => World.layer({ pages })
  )
)

/** A résumé fixture's URL as the service is given it: a public host name (loopback behind the fetcher's seams). */
export const resumeUrl = (path: string) => Effect.map(World.World, (world) => Resumes.publicUrl(world.url, path))

export type Detail = {
  readonly detail: ReadonlyArray<{ loc: ReadonlyArray<string | number>; msg: string; type: string }>
}
export const locs = (body: unknown) => (body as Detail).detail.map((d) => d.loc)

/** A user with a token; `claims` are added to the token (e.g. `app_metadata`). */
export const signIn = (claims: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const id = newUser()
    return { id, token: yield* tokenFor(id, claims) }
  })

/** Queues `names.length` jobs for the token's user, in one batch; their ids in order. */
export const submit = (token: string, names: ReadonlyArray<string>) =>
  Effect.map(
    call("POST", "/api/queue/batch", {
      token,
      json: { email_template: template, items: names.map((n) => ({ recipient_name: n, recipient_interest: "graphs" })) }
    }),
    (reply) => (reply.body as { queue_item_ids: ReadonlyArray<string> }).queue_item_ids
  )

export type Outcome = { readonly _tag: "complete"; readonly confident: boolean } | { readonly _tag: "fail" }

/** Settles one job as a worker would: completed with one email (2.5 s of generation), or failed. */
const settle = (job: Job, outcome: Outcome, workerId: string) =>
  Effect.gen(function* () {
    const leases = yield* StoreLeases
    const now = new Date()
    const lease = { jobId: job.id, workerId }
    if (outcome._tag === "fail") {
      return yield* leases.fail(lease, {
        message: "Search engine unavailable",
        type: "UpstreamError",
        failedStep: "web_scraper",
        stepTimings: { template_parser: 0.1 },
        now
      })
    }
    return yield* leases.complete(lease, {
      email: emailFor(job, now, { isConfident: outcome.confident }),
      generationTime: 2.5,
      stepTimings: { template_parser: 0.1, email_composer: 2.4 },
      now
    })
  })

/**
 * Takes the pending jobs in line and settles each with the next outcome, `concurrency` workers at once (each claim
 * and completion a separate store call, as real workers make them). Every job in line must be this test's.
 */
export const work = (outcomes: ReadonlyArray<Outcome>, concurrency = 1) =>
  Effect.gen(function* () {
    const leases = yield* StoreLeases
    const settled = yield* Effect.forEach(
      outcomes,
      (outcome, i) =>
        Effect.gen(function* () {
          const now = new Date()
          const workerId = `worker-${i}`
          const job = yield* leases.claimNext({ workerId, now, leaseUntil: new Date(now.getTime() + 60_000) })
          return Option.isSome(job) ? yield* settle(job.value, outcome, workerId) : false
        }),
      { concurrency }
    )
    if (!settled.every(Boolean)) return yield* Effect.die(new Error(`not every job settled: ${settled}`))
  }).pipe(Effect.orDie)
