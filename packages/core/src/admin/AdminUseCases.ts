import { Effect, Either, Schema } from "effect"
import { UserId } from "../Ids"
import { currentDate } from "../Now"
import { TemplateStore } from "../templates/TemplateStore"
import { UserNotFound } from "../users/Profile"
import { AdminQueries } from "./AdminQueries"
import { weekStart, weeksBetween } from "./IsoWeek"

const weekMs = 7 * 24 * 60 * 60 * 1000

/** A share as a percentage with one decimal (0 when there is nothing to share). */
export const percentage = (part: number, whole: number): number =>
  whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10

/** The service at a glance; "this week" is the current ISO week (from Monday 00:00 UTC). */
export const overview = Effect.fn("Admin.overview")(function* () {
  const admin = yield* AdminQueries
  const t = yield* admin.totals(weekStart(yield* currentDate))
  return {
    totalUsers: t.users,
    totalEmails: t.emails,
    /** Completed jobs among finished ones, in percent. */
    successRate: percentage(t.completedJobs, t.completedJobs + t.failedJobs),
    avgGenerationSeconds: Math.round((t.meanGenerationSeconds ?? 0) * 100) / 100,
    totalTemplates: t.templates,
    /** Emails marked confident, in percent. */
    confidenceRate: percentage(t.confidentEmails, t.emails),
    errorCount: t.failedJobs,
    emailsThisWeek: t.emailsSince,
    activeUsersThisWeek: t.activeUsersSince
  }
})

export const users = Effect.fn("Admin.users")(function* () {
  const admin = yield* AdminQueries
  return yield* admin.users()
})

const decodeUserId = Schema.decodeUnknownEither(UserId)

/** The user of an admin path, who must exist. */
const knownUser = (input: string) =>
  Effect.gen(function* () {
    const admin = yield* AdminQueries
    const id = decodeUserId(input)
    if (Either.isLeft(id) || !(yield* admin.userExists(id.right))) return yield* new UserNotFound({ id: input })
    return id.right
  })

export const userEmails = Effect.fn("Admin.userEmails")(function* (userId: string, page: number, perPage: number) {
  const admin = yield* AdminQueries
  const id = yield* knownUser(userId)
  const { items, total } = yield* admin.userEmails(id, { limit: perPage, offset: (page - 1) * perPage })
  return { items, total, page, perPage, pages: Math.ceil(total / perPage) }
})

/** How many templates an admin listing shows at most (users are limited to a handful). */
export const maxListedTemplates = 100

export const userTemplates = Effect.fn("Admin.userTemplates")(function* (userId: string) {
  const templates = yield* TemplateStore
  const id = yield* knownUser(userId)
  return yield* templates.list(id, { limit: maxListedTemplates, offset: 0 })
})

export const userJobs = Effect.fn("Admin.userJobs")(function* (userId: string, limit: number) {
  const admin = yield* AdminQueries
  const id = yield* knownUser(userId)
  return yield* admin.userJobs(id, limit)
})

/** Emails generated and active users per ISO week, for the last `weeks` weeks (this one included), oldest first. */
export const activity = Effect.fn("Admin.activity")(function* (weeks: number) {
  const admin = yield* AdminQueries
  const now = yield* currentDate
  const since = new Date(weekStart(now).getTime() - (weeks - 1) * weekMs)
  const counted = new Map((yield* admin.activity(since)).map((w) => [w.week, w]))
  return weeksBetween(since, now).map((week) => ({
    week,
    emails: counted.get(week)?.emails ?? 0,
    activeUsers: counted.get(week)?.activeUsers ?? 0
  }))
})

export const errors = Effect.fn("Admin.errors")(function* (limit: number) {
  const admin = yield* AdminQueries
  return yield* admin.failedJobs(limit)
})
