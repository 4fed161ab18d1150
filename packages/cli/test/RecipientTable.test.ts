import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Recipients from "../src/Recipients"
import * as RecipientTable from "../src/RecipientTable"
import { tempDir, writeIn } from "./Harness"

const read = (name: string, content: string | Uint8Array) =>
  Effect.flatMap(RecipientTable.read(writeIn(tempDir(), name, content)), (table) => Recipients.fromTable(table))

describe("reading a recipients file", () => {
  it.effect("Excel's CSV UTF-8: a byte-order mark, semicolons, quoted fields across lines, blank rows at the end", () =>
    Effect.gen(function* () {
      const { recipients, columns } = yield* read(
        "excel.csv",
        '\uFEFFRecipient Name;Research Interest;Note\r\n"Hopper; Grace";"compilers,\r\nand COBOL";x\r\n  Alan Turing  ;computability;\r\n;;\r\n'
      )
      expect(columns).toEqual(["Recipient Name", "Research Interest"])
      expect(recipients).toEqual([
        { row: 2, name: "Hopper; Grace", interest: "compilers,\r\nand COBOL" },
        { row: 3, name: "Alan Turing", interest: "computability" }
      ])
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.effect("the same rows give the same content hash however the file is laid out", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const a = yield* RecipientTable.read(writeIn(dir, "a.csv", "name,interest\nGrace Hopper,compilers\n"))
      const b = yield* RecipientTable.read(
        writeIn(dir, "b.csv", '\uFEFF"name";"interest"\r\n"Grace Hopper";"compilers"\r\n\r\n')
      )
      const c = yield* RecipientTable.read(writeIn(dir, "c.csv", "name,interest\nGrace Hopper,compilers!\n"))
      expect(b.contentHash).toBe(a.contentHash)
      expect(c.contentHash).not.toBe(a.contentHash)
    }).pipe(Effect.provide(NodeContext.layer))
  )
})
