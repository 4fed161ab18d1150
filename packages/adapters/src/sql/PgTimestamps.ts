import Pg from "pg"

const TIMESTAMPTZ_OID = 1184
const plus = 0x2b
const zero = 0x30

/** The number written by the ASCII digits of `text` from `start` to `end`, or -1 when one of them is not a digit. */
const digits = (text: string, start: number, end: number): number => {
  let n = 0
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - zero
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * A `timestamptz` as PostgreSQL writes it in a UTC session, `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, as a `Date`: the
 * fraction's first three digits are its milliseconds (the rest dropped, as node-postgres' own parser drops them).
 * `undefined` for any other shape (another zone, a year before 100 or after 9999, BC, `infinity`), which is left to
 * node-postgres' parser.
 */
export const parseUtcTimestamp = (text: string): Date | undefined => {
  const n = text.length
  if (n < 22 || n > 29 || n === 23 || text.charCodeAt(n - 3) !== plus) return undefined
  if (text.charCodeAt(n - 2) !== zero || text.charCodeAt(n - 1) !== zero) return undefined
  if (text[4] !== "-" || text[7] !== "-" || text[10] !== " " || text[13] !== ":" || text[16] !== ":") return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 7)
  const day = digits(text, 8, 10)
  const hour = digits(text, 11, 13)
  const minute = digits(text, 14, 16)
  const second = digits(text, 17, 19)
  // Date.UTC reads years 0–99 as 1900–1999.
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined
  let millis = 0
  if (n > 22) {
    if (text[19] !== ".") return undefined
    const fraction = Math.min(n - 23, 3)
    const value = digits(text, 20, 20 + fraction)
    if (value < 0 || (n - 23 > 3 && digits(text, 23, n - 3) < 0)) return undefined
    millis = value * 10 ** (3 - fraction)
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis))
}

/**
 * node-postgres' type parsers with a faster `timestamptz`: its own parser runs four regular expressions per value, and
 * the queue listing reads hundreds of timestamps on every poll (a twelfth of what such a request allocated, in the
 * benchmarks). Values of another shape go to that parser unchanged, so the result is the same `Date` either way.
 */
const standardTimestamptz = Pg.types.getTypeParser(TIMESTAMPTZ_OID, "text")
const timestamptz = (text: string): Date => parseUtcTimestamp(text) ?? standardTimestamptz(text)

export const types: Pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMPTZ_OID && format !== "binary"
      ? timestamptz
      : Pg.types.getTypeParser(oid, format ?? "text")) as Pg.CustomTypesConfig["getTypeParser"]
}
