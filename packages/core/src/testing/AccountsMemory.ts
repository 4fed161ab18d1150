import { Context, Effect, Layer, Option, Ref } from "effect"
import { AdminQueries, type FailedJob, type UserSummary } from "../admin/AdminQueries"
import { isoWeek } from "../admin/IsoWeek"
import type { AuthUser } from "../auth/AuthUser"
import type { Email } from "../emails/Email"
import type { JobId, UserId } from "../Ids"
import type { Job } from "../jobs/Job"
import { Repo } from "../store/Repo"
import type { TemplateRecord } from "../templates/TemplateRecord"
import { type InsertTemplateOutcome, TemplateStore } from "../templates/TemplateStore"
import { Profile } from "../users/Profile"
import { ProfileRepo } from "../users/ProfileRepo"

interface Account {
  readonly email: string | null
  readonly createdAt: Date
  readonly displayName: string | null
  readonly onboarded: boolean
  readonly emailTemplate: string | null
  /** Every job ever inserted for the user; cancelled ones are no longer found in the Repo. */
  readonly jobIds: ReadonlyArray<JobId>
}

interface State {
  readonly accounts: ReadonlyMap<UserId, Account>
  readonly templates: ReadonlyArray<TemplateRecord>
}

const newestFirst = <A extends { readonly createdAt: Date; readonly id: string }>(a: A, b: A) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)

/**
 * `ProfileRepo`, `TemplateStore` and `AdminQueries` in memory, over a `Repo` (the in-memory one in unit tests): the
 * `Repo` handed on records the users and jobs it sees, so profiles and operators' views are computed from what that
 * `Repo` holds, as the SQL adapters compute them from the tables.
 */
export const make = Effect.gen(function* () {
  const repo = yield* Repo
  const state = yield* Ref.make<State>({ accounts: new Map(), templates: [] })

  const seen = (user: AuthUser, now: Date) =>
    Ref.update(state, (s) => {
      const existing = s.accounts.get(user.id)
      const account: Account = existing
        ? { ...existing, email: user.email }
        : { email: user.email, createdAt: now, displayName: null, onboarded: false, emailTemplate: null, jobIds: [] }
      return { ...s, accounts: new Map(s.accounts).set(user.id, account) }
    })
  const inserted = (jobs: ReadonlyArray<Job>) =>
    Ref.update(state, (s) => {
      const accounts = new Map(s.accounts)
      for (const job of jobs) {
        const account = accounts.get(job.userId)
        if (account !== undefined) accounts.set(job.userId, { ...account, jobIds: [...account.jobIds, job.id] })
      }
      return { ...s, accounts }
    })

  const decorated = Repo.of({
    ...repo,
    upsertUser: (user, now) => Effect.zipRight(repo.upsertUser(user, now), seen(user, now)),
    insertJobs: (jobs) => Effect.tap(repo.insertJobs(jobs), inserted),
    insertJobsOnce: (key, jobs) =>
      Effect.tap(repo.insertJobsOnce(key, jobs), (o) => (o._tag === "Inserted" ? inserted(o.jobs) : Effect.void)),
    submitJobs: (submission) =>
      Effect.tap(repo.submitJobs(submission), (o) => (o._tag === "Inserted" ? inserted(o.jobs) : Effect.void))
  })

  const allEmails = (userId: UserId) =>
    Effect.gen(function* () {
      const emails: Array<Email> = []
      for (let offset = 0; ; offset += 100) {
        const page = yield* repo.listEmails(userId, { limit: 100, offset, includeDiscarded: true })
        emails.push(...page)
        if (page.length < 100) return emails
      }
    })
  const jobsOf = (userId: UserId, account: Account) =>
    Effect.map(
      Effect.forEach(account.jobIds, (id) => repo.findJob(userId, id)),
      (found) => found.flatMap((job) => Option.toArray(job)) as ReadonlyArray<Job>
    )
  const templatesOf = (s: State, userId: UserId) => s.templates.filter((t) => t.userId === userId)

  const profile = (userId: UserId) =>
    Effect.gen(function* () {
      const s = yield* Ref.get(state)
      const account = s.accounts.get(userId)
      if (account === undefined) return Option.none<Profile>()
      return Option.some(
        new Profile({
          id: userId,
          email: account.email,
          displayName: account.displayName,
          generationCount: (yield* allEmails(userId)).length,
          templateCount: templatesOf(s, userId).length,
          onboarded: account.onboarded,
          emailTemplate: account.emailTemplate,
          createdAt: account.createdAt
        })
      )
    })
  const updateAccount = (userId: UserId, f: (a: Account) => Account) =>
    Effect.zipRight(
      Ref.update(state, (s) => {
        const account = s.accounts.get(userId)
        return account === undefined ? s : { ...s, accounts: new Map(s.accounts).set(userId, f(account)) }
      }),
      profile(userId)
    )

  const profiles = ProfileRepo.of({
    find: profile,
    initialize: (user, displayName, now) =>
      decorated
        .upsertUser(user, now)
        .pipe(
          Effect.zipRight(updateAccount(user.id, (a) => ({ ...a, displayName: a.displayName ?? displayName }))),
          Effect.map(Option.getOrThrow)
        ),
    markOnboarded: (userId) => updateAccount(userId, (a) => ({ ...a, onboarded: true })),
    saveTemplate: (userId, template) => updateAccount(userId, (a) => ({ ...a, emailTemplate: template }))
  })

  const templates = TemplateStore.of({
    insertWithinLimit: (template, max) =>
      Ref.modify(state, (s): readonly [InsertTemplateOutcome, State] =>
        templatesOf(s, template.userId).length >= max
          ? [{ _tag: "LimitReached" as const }, s]
          : [{ _tag: "Inserted" as const }, { ...s, templates: [...s.templates, template] }]
      ),
    count: (userId) => Ref.get(state).pipe(Effect.map((s) => templatesOf(s, userId).length)),
    find: (userId, id) =>
      Ref.get(state).pipe(Effect.map((s) => Option.fromNullable(templatesOf(s, userId).find((t) => t.id === id)))),
    list: (userId, page) =>
      Ref.get(state).pipe(
        Effect.map((s) => [...templatesOf(s, userId)].sort(newestFirst).slice(page.offset, page.offset + page.limit))
      )
  })

  /** Everything the operators' views read, per user. */
  const everything = Effect.gen(function* () {
    const s = yield* Ref.get(state)
    return yield* Effect.forEach([...s.accounts], ([id, account]) =>
      Effect.map(Effect.all([allEmails(id), jobsOf(id, account)]), ([emails, jobs]) => ({
        id,
        account,
        emails,
        jobs,
        templates: templatesOf(s, id)
      }))
    )
  })

  const admin = AdminQueries.of({
    totals: (since) =>
      Effect.map(everything, (users) => {
        const emails = users.flatMap((u) => u.emails)
        const jobs = users.flatMap((u) => u.jobs)
        const completed = jobs.filter((j) => j.status === "completed")
        return {
          users: users.length,
          emails: emails.length,
          confidentEmails: emails.filter((e) => e.isConfident).length,
          templates: users.reduce((n, u) => n + u.templates.length, 0),
          completedJobs: completed.length,
          failedJobs: jobs.filter((j) => j.status === "failed").length,
          meanGenerationSeconds:
            completed.length === 0
              ? null
              : completed.reduce((sum, j) => sum + (j.generationTime ?? 0), 0) / completed.length,
          emailsSince: emails.filter((e) => e.createdAt >= since).length,
          activeUsersSince: users.filter((u) => u.jobs.some((j) => j.createdAt >= since)).length
        }
      }),
    users: () =>
      Effect.map(everything, (users) =>
        users
          .map(
            (u): UserSummary => ({
              id: u.id,
              email: u.account.email,
              displayName: u.account.displayName,
              onboarded: u.account.onboarded,
              emailTemplate: u.account.emailTemplate,
              createdAt: u.account.createdAt,
              emails: u.emails.length,
              templates: u.templates.length,
              jobs: u.jobs.length,
              failedJobs: u.jobs.filter((j) => j.status === "failed").length
            })
          )
          .sort(newestFirst)
      ),
    userExists: (id) => Ref.get(state).pipe(Effect.map((s) => s.accounts.has(id))),
    userEmails: (id, page) =>
      Effect.map(allEmails(id), (emails) => ({
        items: emails.slice(page.offset, page.offset + page.limit),
        total: emails.length
      })),
    userJobs: (id, limit) =>
      Effect.gen(function* () {
        const account = (yield* Ref.get(state)).accounts.get(id)
        if (account === undefined) return []
        const jobs = yield* jobsOf(id, account)
        return [...jobs].sort((a, b) => b.seq - a.seq).slice(0, limit)
      }),
    activity: (since) =>
      Effect.map(everything, (users) => {
        const weeks = new Map<string, { emails: number; users: Set<UserId> }>()
        const week = (date: Date) => {
          const key = isoWeek(date)
          const found = weeks.get(key) ?? { emails: 0, users: new Set<UserId>() }
          weeks.set(key, found)
          return found
        }
        for (const u of users) {
          for (const e of u.emails) if (e.createdAt >= since) week(e.createdAt).emails++
          for (const j of u.jobs) if (j.createdAt >= since) week(j.createdAt).users.add(u.id)
        }
        return [...weeks].map(([w, c]) => ({ week: w, emails: c.emails, activeUsers: c.users.size }))
      }),
    failedJobs: (limit) =>
      Effect.map(everything, (users) =>
        users
          .flatMap((u) =>
            u.jobs
              .filter((j) => j.status === "failed")
              .map((job): FailedJob => ({ job, userEmail: u.account.email, userDisplayName: u.account.displayName }))
          )
          .sort((a, b) => b.job.createdAt.getTime() - a.job.createdAt.getTime() || b.job.seq - a.job.seq)
          .slice(0, limit)
      )
  })

  return { repo: decorated, profiles, templates, admin }
})

export type AccountStores = Repo | ProfileRepo | TemplateStore | AdminQueries

/** The stores over the `Repo` provided; the `Repo` it provides in turn must be the one everything else uses. */
export const layerOver: Layer.Layer<AccountStores, never, Repo> = Layer.effectContext(
  Effect.map(make, (s) =>
    Context.make(Repo, s.repo).pipe(
      Context.add(ProfileRepo, s.profiles),
      Context.add(TemplateStore, s.templates),
      Context.add(AdminQueries, s.admin)
    )
  )
)
