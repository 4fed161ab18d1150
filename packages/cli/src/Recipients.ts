import { BatchItem } from "@scribe/client/Wire"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { BadInput } from "./CliError"
import type { RecipientTable } from "./RecipientTable"
import { plural } from "./Words"

/** One recipient read from the file, with the spreadsheet row it came from (the header is row 1). */
export interface Recipient {
  readonly row: number
  readonly name: string
  readonly interest: string
}

/** The contract's field limits, in characters (code points). */
export const limits = {
  name: { min: 2, max: 255 },
  interest: { min: 2, max: 500 }
} as const

/** Rows one file may hold: ten batches of 100. Beyond it, split the file. */
export const maxRows = 1000

/** Headers recognised without `--name-column` / `--interest-column`, compared case-insensitively. */
export const usualHeaders = {
  name: ["name", "recipient_name", "professor", "professor_name", "recipient", "full_name"],
  interest: [
    "interest",
    "research",
    "recipient_interest",
    "interests",
    "research_interest",
    "research_interests",
    "research_area",
    "topic"
  ]
} as const

const normalise = (header: string) =>
  header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_")

/** How many errors one message lists before saying how many more there are. */
const shownErrors = 20

const quoteList = (items: ReadonlyArray<string>) => items.map((item) => `"${item}"`).join(", ")

type Field = keyof typeof usualHeaders

const optionName: Record<Field, string> = { name: "--name-column", interest: "--interest-column" }

const findColumn = (
  table: RecipientTable,
  field: Field,
  chosen: string | undefined
): Either.Either<number, BadInput> => {
  const headers = table.header
  const present = quoteList(headers.filter((h) => h !== ""))
  if (chosen !== undefined) {
    const index = headers.findIndex((h) => h.toLowerCase() === chosen.trim().toLowerCase())
    return index >= 0
      ? Either.right(index)
      : Either.left(
          new BadInput({
            message: `${table.file} has no column "${chosen}" (${optionName[field]}); its headers are ${present}.`
          })
        )
  }
  const wanted: ReadonlyArray<string> = usualHeaders[field]
  const matches = headers.flatMap((h, i) => (wanted.includes(normalise(h)) ? [i] : []))
  if (matches.length === 1) return Either.right(matches[0] ?? 0)
  if (matches.length === 0) {
    return Either.left(
      new BadInput({
        message:
          `${table.file} has no ${field} column: looked for a header named ${wanted.join(", ")} (any case); ` +
          `its headers are ${present}. Name the column with ${optionName[field]} "…".`
      })
    )
  }
  return Either.left(
    new BadInput({
      message:
        `${table.file} has several ${field} columns (${quoteList(matches.map((i) => headers[i] ?? ""))}); ` +
        `choose one with ${optionName[field]} "…".`
    })
  )
}

const codePoints = (s: string) => [...s].length

/** What is wrong with a name or interest by the contract's length limits, counted in code points; none if fine. */
export const lengthError = (
  value: string,
  bounds: { readonly min: number; readonly max: number }
): string | undefined => {
  const n = codePoints(value)
  if (n === 0) return "is empty"
  if (n < bounds.min) return `is too short (${plural(n, "character")}; at least ${bounds.min})`
  if (n > bounds.max) return `is too long (${plural(n, "character")}; at most ${bounds.max})`
  return undefined
}

export const decodeItem = Schema.decodeUnknownEither(BatchItem, { errors: "all" })

/**
 * The recipients of a table, every row checked against the contract before anything is sent: a missing or ambiguous
 * column, a blank row, an empty, short or long cell, or too many rows is refused with every offending row and column
 * named (the first 20 of them).
 */
export const fromTable = (
  table: RecipientTable,
  columns: { readonly name?: string | undefined; readonly interest?: string | undefined } = {}
): Effect.Effect<
  { readonly recipients: ReadonlyArray<Recipient>; readonly columns: readonly [string, string] },
  BadInput
> =>
  Effect.gen(function* () {
    const nameIndex = yield* findColumn(table, "name", columns.name)
    const interestIndex = yield* findColumn(table, "interest", columns.interest)
    const nameHeader = table.header[nameIndex] ?? ""
    const interestHeader = table.header[interestIndex] ?? ""
    if (table.rows.length === 0) {
      return yield* new BadInput({ message: `${table.file} has a header row but no recipients.` })
    }
    if (table.rows.length > maxRows) {
      return yield* new BadInput({
        message: `${table.file} has ${table.rows.length} rows; at most ${maxRows} are taken at once: split the file.`
      })
    }
    const errors: Array<string> = []
    const recipients: Array<Recipient> = []
    table.rows.forEach((cells, i) => {
      const row = i + 2
      if (cells.every((cell) => cell.trim() === "")) {
        errors.push(`row ${row} is empty: fill it in or delete it`)
        return
      }
      const name = (cells[nameIndex] ?? "").trim()
      const interest = (cells[interestIndex] ?? "").trim()
      const nameProblem = lengthError(name, limits.name)
      const interestProblem = lengthError(interest, limits.interest)
      if (nameProblem !== undefined) errors.push(`row ${row}, column "${nameHeader}": the name ${nameProblem}`)
      if (interestProblem !== undefined) {
        errors.push(`row ${row}, column "${interestHeader}": the interest ${interestProblem}`)
      }
      if (nameProblem !== undefined || interestProblem !== undefined) return
      // Whatever else the contract refuses (e.g. NUL characters), in its own words.
      const decoded = decodeItem({ recipient_name: name, recipient_interest: interest })
      if (Either.isLeft(decoded)) {
        for (const issue of ParseResult.ArrayFormatter.formatErrorSync(decoded.left)) {
          const header = issue.path[0] === "recipient_name" ? nameHeader : interestHeader
          errors.push(`row ${row}, column "${header}": ${issue.message}`)
        }
        return
      }
      recipients.push({ row, name, interest })
    })
    if (errors.length > 0) {
      const more = errors.length > shownErrors ? `\n  … and ${errors.length - shownErrors} more` : ""
      return yield* new BadInput({
        message:
          `${table.file}: ${plural(errors.length, "problem")}, nothing was submitted:\n` +
          errors
            .slice(0, shownErrors)
            .map((e) => `  ${e}`)
            .join("\n") +
          more
      })
    }
    return { recipients, columns: [nameHeader, interestHeader] as const }
  })
