import { Context, Effect, Option, Ref } from "effect"
import type { UserId } from "../Ids"
import { claimed as claimedTurn, entered } from "../jobs/FairOrder"
import { Job } from "../jobs/Job"
import type { Completion, Failure, JobProgress, Lease, Retry } from "../jobs/JobQueue"
import { firstStep, stepStatus } from "../pipeline/PipelineStep"
import { addModelUsage, type JobUsage, utcDay } from "../usage/Usage"
import { pendingOf, type State, set, without } from "./MemoryState"

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
 * The job the next claim takes at `t`, as the SQL claims choose it. `fifo`: the first claimable job (due pending, or
 * processing with an expired lease) by `seq`. `fair`: a job whose lease expired while its user has nothing pending
 * first; then, walking the users with pending jobs in turn order, the first claimable job of the first user that has one
 * (with a cap, first among the users running fewer than it).
 */
const nextClaimable = (s: State, t: number): Job | undefined => {
  const due = (j: Job) => j.status === "pending" && (s.availableAt.get(j.id) ?? 0) <= t
  const expired = (j: Job) => j.status === "processing" && (s.leases.get(j.id)?.until ?? 0) < t
  const all = [...s.jobs.values()].sort((a, b) => a.seq - b.seq)
  if (s.order === "fifo") return all.find((j) => due(j) || expired(j))
  const waiting = new Set(all.filter((j) => j.status === "pending").map((j) => j.userId))
  const orphan = all.find((j) => expired(j) && !waiting.has(j.userId))
  if (orphan !== undefined) return orphan
  const users = [...waiting].sort((a, b) => (s.turns.turns.get(a) ?? 0) - (s.turns.turns.get(b) ?? 0))
  const headOf = (user: UserId) => all.find((j) => j.userId === user && (due(j) || expired(j)))
  const cap = s.maxRunningPerUser
  if (cap !== null) {
    const running = (user: UserId) =>
      all.filter((j) => j.userId === user && j.status === "processing" && (s.leases.get(j.id)?.until ?? 0) >= t).length
    for (const user of users) {
      const head = running(user) < cap ? headOf(user) : undefined
      if (head !== undefined) return head
    }
  }
  for (const user of users) {
    const head = headOf(user)
    if (head !== undefined) return head
  }
  return undefined
}

/** The lease side over the store's `state`. */
export const make = (state: Ref.Ref<State>) =>
  Effect.sync(() => {
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

    return MemoryLeases.of({
      claimNext: ({ workerId, now, leaseUntil }) =>
        Ref.modify(state, (s) => {
          const next = nextClaimable(s, now.getTime())
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
              // A pending job's claim counts in its user's turn, which passes on once it has served the user's weight
              // (a lease taken over leaves the turns alone).
              turns: next.status === "pending" ? claimedTurn(s.turns, next.userId) : s.turns,
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
          turns: entered(s.turns, job.userId, pendingOf(s, job.userId)),
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
  })
