import { Effect } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import { currentDate } from "../Now"
import { Repo } from "../store/Repo"
import { daysBefore, totals, type UsageTotals, utcDay } from "./Usage"

/** Days in the longer usage window, today included. */
export const usageWindowDays = 30

export interface UsageSummary {
  /** Today (UTC), `YYYY-MM-DD`. */
  readonly today: { readonly day: string } & UsageTotals
  /** The last 30 UTC days, today included. */
  readonly last30Days: { readonly from: string; readonly to: string } & UsageTotals
}

/** The caller's usage today and over the last 30 days (UTC), from the per-day counters kept as jobs finish. */
export const summary = Effect.fn("Usage.summary")(function* (user: AuthUser) {
  const repo = yield* Repo
  const today = utcDay(yield* currentDate)
  const from = daysBefore(today, usageWindowDays - 1)
  const days = yield* repo.usage(user.id, from, today)
  return {
    today: { day: today, ...totals(days.filter((d) => d.day === today)) },
    last30Days: { from, to: today, ...totals(days) }
  } satisfies UsageSummary
})
