import { Context, Effect, Layer, Option, Ref } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import type { Email } from "../emails/Email"
import { entered, fairPositions, InvalidQueueWeight, isQueueWeight, type QueueOrder, weighted } from "../jobs/FairOrder"
import type { Job, NewJob, QueueEntry } from "../jobs/Job"
import { pendingJob, positions } from "../jobs/Job"
import {
  type CancelOutcome,
  type IdempotencyKey,
  type InsertOnceOutcome,
  idempotencyWindowMs,
  Repo,
  type SubmitOutcome
} from "../store/Repo"
import type { DailyUsage } from "../usage/Usage"
import * as MemoryLeases from "./MemoryLeases"
import { empty, pendingOf, type State, set, without } from "./MemoryState"

/**
 * An in-memory store with the same semantics as the SQL adapters, for unit tests and the contract suites: its `Repo`
 * and its `MemoryLeases` over one state, claims taking jobs in `order` (positions listed accordingly).
 */
export const makeStoreWith = (order: QueueOrder, limits: { readonly maxRunningPerUser: number | null } = empty) =>
  Effect.gen(function* () {
    const state = yield* Ref.make<State>({ ...empty, order, maxRunningPerUser: limits.maxRunningPerUser })

    const insertAll = (s: State, jobs: ReadonlyArray<NewJob>): readonly [ReadonlyArray<Job>, State] => {
      let seq = s.nextSeq
      const map = new Map(s.jobs)
      let turns = s.turns
      const inserted = jobs.map((j) => pendingJob(j, seq++))
      for (const j of inserted) {
        turns = entered(turns, j.userId, pendingOf({ ...s, jobs: map }, j.userId))
        map.set(j.id, j)
      }
      return [inserted, { ...s, jobs: map, nextSeq: seq, turns }]
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
            const ranks = s.order === "fair" ? fairPositions(all, s.turns) : positions(all)
            return all
              .filter((j) => j.userId === userId && j.createdAt.getTime() >= since.getTime())
              .sort((a, b) => a.seq - b.seq)
              .map((job): QueueEntry => ({ job, position: ranks.get(job.id) ?? null }))
          })
        ),
      setQueueWeight: (userId, weight) =>
        isQueueWeight(weight)
          ? Ref.update(state, (s) => ({ ...s, turns: weighted(s.turns, userId, weight) }))
          : Effect.fail(new InvalidQueueWeight({ weight })),
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

    const leases = yield* MemoryLeases.make(state)

    return { repo, leases }
  })

/** The in-memory store in the default (fair) order. */
export const makeStore = makeStoreWith("fair")

/** The in-memory `Repo` alone (its jobs can be inserted, never claimed). */
export const make = Effect.map(makeStore, (store) => store.repo)

/** The in-memory store: its `Repo`, and its `MemoryLeases` for `JobQueueMemory` over the same jobs. */
export const layer: Layer.Layer<Repo | MemoryLeases.MemoryLeases> = Layer.effectContext(
  Effect.map(makeStore, ({ repo, leases }) =>
    Context.make(Repo, repo).pipe(Context.add(MemoryLeases.MemoryLeases, leases))
  )
)
