import { describe, expect, it } from "vitest"
import { candidates, chunks, guessMapping, isSendable, parseText, sameNameKey, tableOf } from "../src/lib/Recipients"

describe("reading recipients from pasted lines, CSV and sheets", () => {
  it("guesses the delimiter and keeps quoted commas", () => {
    expect(parseText('Grace Hopper,"compilers, COBOL"\nAlan Turing,computability\n\n')).toEqual([
      ["Grace Hopper", "compilers, COBOL"],
      ["Alan Turing", "computability"]
    ])
    expect(parseText("Grace Hopper\tcompilers\nAlan Turing\tcomputability")).toEqual([
      ["Grace Hopper", "compilers"],
      ["Alan Turing", "computability"]
    ])
    expect(parseText("Grace Hopper; compilers")).toEqual([["Grace Hopper", "compilers"]])
  })

  it("maps columns by their header, in any order, and without one takes name then interest", () => {
    const withHeader = parseText("Research interest,Email,Name\ncompilers,g@navy.mil,Grace Hopper")
    expect(guessMapping(withHeader)).toEqual({ name: 2, interest: 0, header: true })
    expect(candidates(withHeader, guessMapping(withHeader)).map((c) => [c.row, c.name, c.interest])).toEqual([
      [2, "Grace Hopper", "compilers"]
    ])
    const bare = parseText("Grace Hopper,compilers")
    expect(guessMapping(bare)).toEqual({ name: 0, interest: 1, header: false })
    expect(candidates(bare, guessMapping(bare))[0]?.row).toBe(1)
  })

  it("marks a repeated name as a duplicate of its first row, ignoring case, accents, spacing and titles", () => {
    const table = parseText(
      [
        "name,interest",
        "Élise Müller,looms",
        "Grace Hopper,compilers",
        "prof.  elise  muller,weaving",
        "GRACE HOPPER,COBOL"
      ].join("\n")
    )
    const rows = candidates(table, guessMapping(table))
    expect(rows.map((r) => r.duplicateOf)).toEqual([null, null, 2, 3])
    expect(rows.filter(isSendable).map((r) => r.name)).toEqual(["Élise Müller", "Grace Hopper"])
    expect(sameNameKey("Dr. Prof. Ada  Lovelace")).toBe("ada lovelace")
  })

  it("checks each row with the server's limits and leaves the bad ones out", () => {
    const table = parseText(
      `A,compilers\nGrace Hopper,x\nAlan Turing,${"y".repeat(501)}\nBarbara Liskov,data abstraction`
    )
    const rows = candidates(table, { name: 0, interest: 1, header: false })
    expect(rows[0]?.problems.name).toBe("String should have at least 2 characters")
    expect(rows[1]?.problems.interest).toBe("String should have at least 2 characters")
    expect(rows[2]?.problems.interest).toBe("String should have at most 500 characters")
    expect(rows.filter(isSendable).map((r) => r.row)).toEqual([4])
  })

  it("reads a sheet's cells as text and drops empty rows", () => {
    expect(
      tableOf([
        ["Name", "Interest"],
        [null, null],
        ["Grace Hopper", 1906],
        ["  Alan   Turing ", undefined]
      ])
    ).toEqual([
      ["Name", "Interest"],
      ["Grace Hopper", "1906"],
      ["Alan Turing", ""]
    ])
  })

  it("splits a long list into batches of at most 100, in order", () => {
    const sizes = chunks(Array.from({ length: 250 }, (_, i) => i)).map((c) => c.length)
    expect(sizes).toEqual([100, 100, 50])
    expect(chunks(Array.from({ length: 250 }, (_, i) => i))[2]?.[0]).toBe(200)
    expect(chunks([])).toEqual([])
  })
})
