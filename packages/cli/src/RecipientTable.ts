import { createHash } from "node:crypto"
import { extname } from "node:path"
import { FileSystem } from "@effect/platform"
import { parse } from "csv-parse/sync"
import * as Effect from "effect/Effect"
import { readSheet } from "read-excel-file/node"
import { BadInput } from "./CliError"

/** A spreadsheet as text cells: the header row and the data rows (spreadsheet row `n` is `rows[n - 2]`). */
export interface RecipientTable {
  readonly file: string
  readonly format: "csv" | "xlsx"
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  /** SHA-256 of the table's cells: the same rows give the same hash, however the file was saved. */
  readonly contentHash: string
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The first line (1-based) that is not valid UTF-8, to point at it. */
const firstInvalidLine = (bytes: Uint8Array): number => {
  let start = 0
  let line = 1
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        utf8.decode(bytes.subarray(start, i))
      } catch {
        return line
      }
      start = i + 1
      line++
    }
  }
  return line
}

const decodeText = (file: string, bytes: Uint8Array): Effect.Effect<string, BadInput> => {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return Effect.fail(
      new BadInput({ message: `${file} is UTF-16 text; save it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)").` })
    )
  }
  try {
    return Effect.succeed(utf8.decode(bytes))
  } catch {
    return Effect.fail(
      new BadInput({
        message:
          `${file}: line ${firstInvalidLine(bytes)} is not valid UTF-8; save the file as UTF-8 ` +
          `(in Excel: "CSV UTF-8 (Comma delimited)").`
      })
    )
  }
}

/** Comma, semicolon (what Excel writes in many locales) or tab, whichever the header line uses most. */
const delimiterOf = (text: string): string => {
  const firstLine = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? ""
  const counts = [",", ";", "\t"].map((d) => [d, firstLine.split(d).length - 1] as const)
  return counts.reduce((best, next) => (next[1] > best[1] ? next : best))[0]
}

const parseCsv = (file: string, text: string): Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, BadInput> =>
  Effect.try({
    try: () =>
      parse(text, {
        bom: true,
        delimiter: delimiterOf(text),
        relax_column_count: true,
        skip_empty_lines: false
      }) as Array<Array<string>>,
    catch: (error) =>
      new BadInput({
        message: `${file} is not a readable CSV file: ${error instanceof Error ? error.message : String(error)}`
      })
  })

const cellText = (cell: unknown): string => {
  if (cell === null || cell === undefined) return ""
  if (cell instanceof Date) return cell.toISOString().slice(0, 10)
  return String(cell)
}

const parseXlsx = (file: string, bytes: Uint8Array, sheet: string | undefined) =>
  Effect.tryPromise({
    try: () => (sheet === undefined ? readSheet(Buffer.from(bytes)) : readSheet(Buffer.from(bytes), sheet)),
    catch: (error) =>
      new BadInput({
        message:
          error instanceof Error && error.name === "SheetNotFoundError"
            ? `${file} has no sheet named "${sheet}"`
            : `${file} is not a readable .xlsx file: ${error instanceof Error ? error.message : String(error)}`
      })
  }).pipe(Effect.map((rows) => rows.map((row) => row.map(cellText))))

/** Trailing blank rows are what editors leave behind; they are dropped (a blank row between data rows is not). */
const dropTrailingBlankRows = (rows: ReadonlyArray<ReadonlyArray<string>>) => {
  let end = rows.length
  while (end > 0 && (rows[end - 1] ?? []).every((cell) => cell.trim() === "")) end--
  return rows.slice(0, end)
}

/**
 * Reads a `.csv` (UTF-8; comma, semicolon or tab) or `.xlsx` file (its first sheet, or `sheet`) into text cells. A file
 * of another type, in another encoding, or with no header row is refused with a message saying what to do.
 */
export const read = (file: string, options: { readonly sheet?: string | undefined } = {}) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const extension = extname(file).toLowerCase()
    const format = extension === ".xlsx" ? "xlsx" : extension === ".csv" || extension === ".tsv" ? "csv" : undefined
    if (format === undefined) {
      return yield* new BadInput({
        message:
          extension === ".xls"
            ? `${file}: the old .xls format is not read; save it as .xlsx or CSV UTF-8.`
            : `${file}: expected a .csv or .xlsx file.`
      })
    }
    const bytes = yield* fs
      .readFile(file)
      .pipe(Effect.mapError((error) => new BadInput({ message: `Cannot read ${file}: ${error.message}` })))
    const cells =
      format === "csv"
        ? yield* Effect.flatMap(decodeText(file, bytes), (text) => parseCsv(file, text))
        : yield* parseXlsx(file, bytes, options.sheet)
    const table = dropTrailingBlankRows(cells)
    const [header, ...rows] = table
    if (header === undefined || header.every((cell) => cell.trim() === "")) {
      return yield* new BadInput({ message: `${file} is empty: expected a header row, then one row per recipient.` })
    }
    const contentHash = createHash("sha256").update(JSON.stringify(table)).digest("hex")
    return { file, format, header: header.map((cell) => cell.trim()), rows, contentHash } satisfies RecipientTable
  })
