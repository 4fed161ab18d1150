/**
 * A `Retry-After` header as milliseconds from `now`: delta-seconds (fractions allowed) or an HTTP date. OpenAI's
 * `retry-after-ms`, when given, wins. `null` when absent or unreadable.
 */
export const parse = (
  headers: { readonly retryAfter?: string | null | undefined; readonly retryAfterMs?: string | null | undefined },
  now: number
): number | null => {
  const ms = headers.retryAfterMs?.trim()
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms))
  const value = headers.retryAfter?.trim()
  if (value === undefined || value === "") return null
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}
