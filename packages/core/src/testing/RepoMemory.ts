import { Context, Effect, Layer, Option, Ref } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import type { Email } from "../emails/Email"
import type { EmailId, JobId, UserId } from "../Ids"
import { Job, type NewJob, pendingJob, positions, type QueueEntry } from "../jobs/Job"
import type { Completion, Failure, JobProgress, Lease, Retry } from "../jobs/JobQueue"
import { firstStep, stepStatus } from "../pipeline/PipelineStep"
import {
  type CancelOutcome,
  type IdempotencyKey,
  type InsertOnceOutcome,
  idempotencyWindowMs,
  Repo,
  type SubmitOutcome
} from "../store/Repo"
import { addModelUsage, type DailyUsage, type JobUsage, utcDay } from "../usage/Usage"

interface Held {
  readonly workerId: string
  readonly until: number
}

interface State {
  readonly users: ReadonlyMap<UserId, { readonly email: string | null; readonly createdAt: Date }>
  readonly jobs: ReadonlyMap<JobId, Job>
  readonly leases: ReadonlyMap<JobId, Held>
  readonly availableAt: ReadonlyMap<JobId, number>
  readonly emails: ReadonlyMap<EmailId, Email>
  readonly nextSeq: number
  readonly keys: ReadonlyMap<
    string,
    { readonly request: string; readonly jobIds: ReadonlyArray<JobId>; readonly at: number }
  >
  /** By `<user>\u0000<day>`. */
  readonly usage: ReadonlyMap<string, DailyUsage & { readonly userId: UserId }>
}

const empty: State = {
  users: new Map(),
  jobs: new Map(),
  leases: new Map(),
  availableAt: new Map(),
  emails: new Map(),
  nextSeq: 1,
  keys: new Map(),
  usage: new Map()
}

/** Counts one finished job in its user's usage of the day. */
const recordUsage = (
  s: State,
  userId: UserId,
  now: Date,
  outcome: { readonly completed: boolean; readonly usage?: JobUsage | undefined }
): State => {
  const day = utcDay(now)
  const id = `${userId}\u0000${day}`
  const seen = s.usage.get(id) ?? { userId, day, emailsGenerated: 0, jobsFailed: 0, models: [] }
  const next = {
    userId,
    day,
    emailsGenerated: seen.emailsGenerated + (outcome.completed ? 1 : 0),
    jobsFailed: seen.jobsFailed + (outcome.completed ? 0 : 1),
    models: addModelUsage(seen.models, outcome.usage?.models ?? [])
  }
  return { ...s, usage: new Map(s.usage).set(id, next) }
}

/**
 * The lease side of the in-memory store, as the SQL adapters' `JobLeases` is of the database: what `JobQueueMemory`
 * claims and settles jobs through, and what a test that plays a worker (or a dead one) uses directly. Times always come
 * from the caller; every write needs the lease and answers whether it held.
 */
export class MemoryLeases extends Context.Tag("@scribe/core/testing/MemoryLeases")<
  MemoryLeases,
  {
    readonly claimNext: (request: {
      readonly workerId: string
      readonly now: Date
      readonly leaseUntil: Date
    }) => Effect.Effect<Option.Option<Job>>
    readonly renew: (lease: Lease, leaseUntil: Date) => Effect.Effect<boolean>
    readonly progress: (lease: Lease, progress: JobProgress) => Effect.Effect<boolean>
    readonly complete: (lease: Lease, completion: Completion) => Effect.Effect<boolean>
    readonly fail: (lease: Lease, failure: Failure) => Effect.Effect<boolean>
    readonly release: (lease: Lease, retry: Retry) => Effect.Effect<boolean>
  }
>() {}

/**
 * An in-memory store with the same semantics as the SQL adapters, for unit tests and the contract suites: its `Repo`
 * and its `MemoryLeases` over one state.
 */
export const makeStore = Effect.gen(function* () {
  const state = yield* Ref.make(empty)
  const set = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V) => new Map(map).set(key, value)
  const without = <K, V>(map: ReadonlyMap<K, V>, key: K) => {
    const next = new Map(map)
    next.delete(key)
    return next
  }
  const holds = (s: State, lease: Lease) => {
    const job = s.jobs.get(lease.jobId)
    const held = s.leases.get(lease.jobId)
    return job !== undefined && job.status === "processing" && held?.workerId === lease.workerId ? job : undefined
  }
  /** Applies `f` to the job when the lease is held; reports whether it was. */
  const withLease = (lease: Lease, f: (s: State, job: Job) => State) =>
    Ref.modify(state, (s) => {
      const job = holds(s, lease)
      return job === undefined ? [false, s] : [true, f(s, job)]
    })

  const insertAll = (s: State, jobs: ReadonlyArray<NewJob>): readonly [ReadonlyArray<Job>, State] => {
    let seq = s.nextSeq
    const map = new Map(s.jobs)
    const inserted = jobs.map((j) => pendingJob(j, seq++))
    for (const j of inserted) map.set(j.id, j)
    return [inserted, { ...s, jobs: map, nextSeq: seq }]
  }

  const keyId = (key: IdempotencyKey) => `${key.userId}\u0000${key.key}`
  /** The answer of a key used within the window, if any. */
  const known = (s: State, key: IdempotencyKey) => {
    const remembered = s.keys.get(keyId(key))
    if (remembered === undefined || key.now.getTime() - remembered.at >= idempotencyWindowMs) return undefined
    return remembered.request === key.request
      ? ({ _tag: "Replayed", jobIds: remembered.jobIds } as const)
      : ({ _tag: "KeyReused" } as const)
  }
  const insertOnce = (
    s: State,
    key: IdempotencyKey,
    jobs: ReadonlyArray<NewJob>
  ): readonly [InsertOnceOutcome, State] => {
    const answer = known(s, key)
    if (answer !== undefined) return [answer, s]
    const [inserted, next] = insertAll(s, jobs)
    const remembered = { request: key.request, jobIds: inserted.map((j) => j.id), at: key.now.getTime() }
    return [
      { _tag: "Inserted", jobs: inserted },
      { ...next, keys: set(next.keys, keyId(key), remembered) }
    ]
  }

  const repo = Repo.of({
    upsertUser: (user: AuthUser, now: Date) =>
      Ref.update(state, (s) => {
        const existing = s.users.get(user.id)
        return { ...s, users: set(s.users, user.id, { email: user.email, createdAt: existing?.createdAt ?? now }) }
      }),
    insertJobs: (jobs) => Ref.modify(state, (s) => insertAll(s, jobs)),
    insertJobsOnce: (key, jobs) => Ref.modify(state, (s) => insertOnce(s, key, jobs)),
    submitJobs: ({ userId, jobs, idempotency, maxActive }) =>
      Ref.modify(state, (s): readonly [SubmitOutcome, State] => {
        const answer = idempotency === null ? undefined : known(s, idempotency)
        if (answer !== undefined) return [answer, s]
        const active = [...s.jobs.values()].filter(
          (j) => j.userId === userId && (j.status === "pending" || j.status === "processing")
        ).length
        if (active + jobs.length > maxActive) return [{ _tag: "OverCap", active }, s]
        if (idempotency !== null) return insertOnce(s, idempotency, jobs)
        const [inserted, next] = insertAll(s, jobs)
        return [{ _tag: "Inserted", jobs: inserted }, next]
      }),
    replay: (key) => Ref.get(state).pipe(Effect.map((s) => Option.fromNullable(known(s, key)))),
    usage: (userId, from, to) =>
      Ref.get(state).pipe(
        Effect.map((s) =>
          [...s.usage.values()]
            .filter((d) => d.userId === userId && d.day >= from && d.day <= to)
            .sort((a, b) => (a.day < b.day ? -1 : 1))
            .map(({ userId: _, ...day }): DailyUsage => day)
        )
      ),
    findJob: (userId, id) =>
      Ref.get(state).pipe(
        Effect.map((s) => Option.fromNullable(s.jobs.get(id)).pipe(Option.filter((j) => j.userId === userId)))
      ),
    listQueue: (userId, since) =>
      Ref.get(state).pipe(
        Effect.map((s) => {
          const all = [...s.jobs.values()]
          const ranks = positions(all)
          return all
            .filter((j) => j.userId === userId && j.createdAt.getTime() >= since.getTime())
            .sort((a, b) => a.seq - b.seq)
            .map((job): QueueEntry => ({ job, position: ranks.get(job.id) ?? null }))
        })
      ),
    cancelPending: (userId, id) =>
      Ref.modify(state, (s): readonly [CancelOutcome, State] => {
        const job = s.jobs.get(id)
        if (job === undefined || job.userId !== userId) return [{ _tag: "NotFound" as const }, s]
        if (job.status !== "pending") return [{ _tag: "NotCancellable" as const, status: job.status }, s]
        return [
          { _tag: "Cancelled" as const },
          { ...s, jobs: without(s.jobs, id), availableAt: without(s.availableAt, id) }
        ]
      }),
    findEmail: (userId, id) =>
      Ref.get(state).pipe(
        Effect.map((s) => Option.fromNullable(s.emails.get(id)).pipe(Option.filter((e) => e.userId === userId)))
      ),
    listEmails: (userId, page) =>
      Ref.get(state).pipe(
        Effect.map((s) =>
          [...s.emails.values()]
            .filter((e) => e.userId === userId && (page.includeDiscarded || e.displayed))
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
            .slice(page.offset, page.offset + page.limit)
        )
      ),
    setDisplayed: (userId, id, displayed) =>
      Ref.modify(state, (s) => {
        const email = s.emails.get(id)
        if (email === undefined || email.userId !== userId) return [Option.none(), s]
        const updated = { ...email, displayed } as Email
        return [Option.some(updated), { ...s, emails: set(s.emails, id, updated) }]
      })
  })

  const leases = MemoryLeases.of({
    claimNext: ({ workerId, now, leaseUntil }) =>
      Ref.modify(state, (s) => {
        const t = now.getTime()
        const next = [...s.jobs.values()]
          .filter(
            (j) =>
              (j.status === "pending" && (s.availableAt.get(j.id) ?? 0) <= t) ||
              (j.status === "processing" && (s.leases.get(j.id)?.until ?? 0) < t)
          )
          .sort((a, b) => a.seq - b.seq)[0]
        if (next === undefined) return [Option.none(), s]
        const claimed = new Job({
          ...next,
          status: "processing",
          currentStep: firstStep,
          stepStatus: stepStatus(firstStep),
          attempts: next.attempts + 1,
          startedAt: next.startedAt ?? now
        })
        return [
          Option.some(claimed),
          {
            ...s,
            jobs: set(s.jobs, claimed.id, claimed),
            leases: set(s.leases, claimed.id, { workerId, until: leaseUntil.getTime() })
          }
        ]
      }),
    renew: (lease, leaseUntil) =>
      withLease(lease, (s) => ({
        ...s,
        leases: set(s.leases, lease.jobId, { workerId: lease.workerId, until: leaseUntil.getTime() })
      })),
    progress: (lease, progress) =>
      withLease(lease, (s, job) => ({
        ...s,
        jobs: set(
          s.jobs,
          job.id,
          new Job({
            ...job,
            currentStep: progress.step,
            stepStatus: stepStatus(progress.step),
            stepTimings: progress.stepTimings
          })
        )
      })),
    complete: (lease, result) =>
      Ref.modify(state, (s) => {
        const job = holds(s, lease)
        const taken = [...s.emails.values()].some((e) => e.jobId === lease.jobId)
        if (job === undefined || taken) return [false, s]
        const done = new Job({
          ...job,
          status: "completed",
          currentStep: null,
          stepStatus: null,
          stepTimings: result.stepTimings,
          emailId: result.email.id,
          generationTime: result.generationTime,
          finishedAt: result.now
        })
        return [
          true,
          recordUsage(
            {
              ...s,
              jobs: set(s.jobs, job.id, done),
              leases: without(s.leases, job.id),
              emails: set(s.emails, result.email.id, result.email)
            },
            job.userId,
            result.now,
            { completed: true, usage: result.usage }
          )
        ]
      }),
    fail: (lease, failure) =>
      withLease(lease, (s, job) => ({
        ...recordUsage(s, job.userId, failure.now, { completed: false }),
        leases: without(s.leases, job.id),
        jobs: set(
          s.jobs,
          job.id,
          new Job({
            ...job,
            status: "failed",
            currentStep: null,
            stepStatus: null,
            stepTimings: failure.stepTimings,
            errorMessage: failure.message,
            errorType: failure.type,
            failedStep: failure.failedStep,
            finishedAt: failure.now
          })
        )
      })),
    release: (lease, retry) =>
      withLease(lease, (s, job) => ({
        ...s,
        leases: without(s.leases, job.id),
        availableAt: set(s.availableAt, job.id, retry.availableAt.getTime()),
        jobs: set(
          s.jobs,
          job.id,
          new Job({
            ...job,
            status: "pending",
            currentStep: null,
            stepStatus: null,
            errorMessage: retry.lastError?.message ?? job.errorMessage,
            errorType: retry.lastError?.type ?? job.errorType,
            failedStep: retry.lastError?.failedStep ?? job.failedStep
          })
        )
      }))
  })

  return { repo, leases }
})

/** The in-memory `Repo` alone (its jobs can be inserted, never claimed). */
export const make = Effect.map(makeStore, (store) => store.repo)

/** The in-memory store: its `Repo`, and its `MemoryLeases` for `JobQueueMemory` over the same jobs. */
export const layer: Layer.Layer<Repo | MemoryLeases> = Layer.effectContext(
  Effect.map(makeStore, ({ repo, leases }) => Context.make(Repo, repo).pipe(Context.add(MemoryLeases, leases)))
)
