const dayMs = 24 * 60 * 60 * 1000

/** Monday 00:00 UTC of the ISO week `date` falls in. */
export const weekStart = (date: Date): Date => {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * dayMs)
}

/** The ISO 8601 week of `date` (UTC), as `2026-W09`, the form Postgres writes with `to_char(…, 'IYYY-"W"IW')`. */
export const isoWeek = (date: Date): string => {
  // The ISO year and week are those of the week's Thursday.
  const thursday = new Date(weekStart(date).getTime() + 3 * dayMs)
  const year = thursday.getUTCFullYear()
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * dayMs))
  return `${year}-W${String(week).padStart(2, "0")}`
}

/** The ISO weeks from the one of `from` to the one of `to`, oldest first. */
export const weeksBetween = (from: Date, to: Date): ReadonlyArray<string> => {
  const weeks: Array<string> = []
  for (let t = weekStart(from).getTime(); t <= to.getTime(); t += 7 * dayMs) weeks.push(isoWeek(new Date(t)))
  return weeks
}
