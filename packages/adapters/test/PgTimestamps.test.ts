import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import Pg from "pg"
import { parseUtcTimestamp, types } from "../src/sql/PgTimestamps"

const standard = Pg.types.getTypeParser(1184, "text") as (text: string) => Date
const pad = (n: number, width: number) => String(n).padStart(width, "0")

/** A timestamptz as PostgreSQL writes it at UTC: microseconds with trailing zeros dropped, no fraction when zero. */
const pgText = (millis: number, micros: number) => {
  const d = new Date(millis)
  const fraction = pad(d.getUTCMilliseconds() * 1000 + micros, 6).replace(/0+$/, "")
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `${fraction === "" ? "" : `.${fraction}`}+00`
  )
}

describe("PgTimestamps", () => {
  it("reads what node-postgres' parser reads, to the millisecond, for every UTC timestamp from year 100 to 9999", () => {
    const instants = fc.tuple(
      fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
      fc.integer({ min: 0, max: 999 })
    )
    fc.assert(
      fc.property(instants, ([millis, micros]) => {
        const text = pgText(millis, micros)
        expect(parseUtcTimestamp(text)?.toISOString()).toBe(standard(text).toISOString())
        expect(parseUtcTimestamp(text)?.getTime()).toBe(millis)
      }),
      { numRuns: 2000 }
    )
  })

  it("leaves every other shape to node-postgres' parser, which the pool's parser then uses", () => {
    const others = [
      "2026-12-02 05:20:21.5+05:30",
      "2026-12-02 05:20:21-08",
      "0050-03-01 00:00:00+00",
      "2026-12-02 05:20:21+00 BC",
      "12026-12-02 05:20:21+00",
      "infinity",
      "-infinity",
      "2026-12-02T05:20:21+00",
      "2026-12-02 05:20:21.12x+00",
      "2026-12-02 05:20:21.1234x6+00"
    ]
    const parse = types.getTypeParser(1184, "text") as (text: string) => unknown
    for (const text of others) {
      expect(parseUtcTimestamp(text)).toBeUndefined()
      expect(parse(text)).toEqual(standard(text))
    }
    expect(parse("2026-12-02 05:20:21.123456+00")).toEqual(new Date(Date.UTC(2026, 11, 2, 5, 20, 21, 123)))
    // Other types keep node-postgres' parsers.
    expect(types.getTypeParser(20, "text")).toBe(Pg.types.getTypeParser(20, "text"))
  })
})
