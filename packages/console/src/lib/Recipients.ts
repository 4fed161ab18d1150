import Papa from "papaparse"
import { interestProblems, limits, nameProblems } from "./TemplateRules"

/** A table as read from pasted lines, a CSV or a sheet: rows of cells, the first maybe a header. */
export type Table = ReadonlyArray<ReadonlyArray<string>>

/** Which column holds what, and whether the first row is a header. */
export interface Mapping {
  readonly name: number
  readonly interest: number
  readonly header: boolean
}

/** One recipient as it will be sent, with what is wrong with it. */
export interface Candidate {
  /** 1-based row in the source, header included, as a spreadsheet numbers it. */
  readonly row: number
  readonly name: string
  readonly interest: string
  readonly problems: { readonly name?: string; readonly interest?: string }
  /** The source row of the first recipient with the same name, when this one repeats it. */
  readonly duplicateOf: number | null
}

const cell = (v: unknown): string => (v === null || v === undefined ? "" : String(v)).replace(/\s+/g, " ").trim()

/** Pasted lines or CSV text: the delimiter (comma, tab, semicolon, pipe) is guessed; blank lines are dropped. */
export const parseText = (text: string): Table => {
  const result = Papa.parse<ReadonlyArray<string>>(text.trim(), {
    skipEmptyLines: "greedy",
    delimitersToGuess: ["\t", ",", ";", "|"]
  })
  return result.data.map((row) => row.map(cell))
}

/** Cells of a sheet (numbers, dates, empty cells) as text. */
export const tableOf = (rows: ReadonlyArray<ReadonlyArray<unknown>>): Table =>
  rows.map((row) => row.map(cell)).filter((row) => row.some((c) => c !== ""))

const nameHeader = /^(recipient[ _]?)?(full[ _]?)?name$|^professor$|^recipient$/i
const interestHeader = /interest|research|topic|field|area/i

/** A first guess: a header row names the columns; otherwise the first column is the name, the second the interest. */
export const guessMapping = (table: Table): Mapping => {
  const first = table[0] ?? []
  const name = first.findIndex((c) => nameHeader.test(c))
  const interest = first.findIndex((c) => interestHeader.test(c))
  if (name >= 0 || interest >= 0) {
    const n = name >= 0 ? name : interest === 0 ? 1 : 0
    const i = interest >= 0 ? interest : n === 0 ? 1 : 0
    return { name: n, interest: i, header: true }
  }
  return { name: 0, interest: Math.min(1, Math.max(0, (first.length || 1) - 1)), header: false }
}

const titles = /^(prof(essor)?|dr|mr|mrs|ms|mx)\.?\s+/i

/** Two names are the same recipient when they match ignoring case, accents, spacing and a leading title. */
export const sameNameKey = (name: string): string => {
  let n = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim()
  while (titles.test(n)) n = n.replace(titles, "")
  return n
}

/** The recipients the mapping reads from the table: checked with the server's rules, repeats marked. */
export const candidates = (table: Table, mapping: Mapping): ReadonlyArray<Candidate> => {
  const seen = new Map<string, number>()
  const body = mapping.header ? table.slice(1) : table
  const offset = mapping.header ? 2 : 1
  return body.map((cells, i) => {
    const name = cells[mapping.name] ?? ""
    const interest = cells[mapping.interest] ?? ""
    const row = i + offset
    const key = sameNameKey(name)
    const first = key === "" ? undefined : seen.get(key)
    if (key !== "" && first === undefined) seen.set(key, row)
    const nameProblem = nameProblems(name)[0]
    const interestProblem = interestProblems(interest)[0]
    return {
      row,
      name,
      interest,
      problems: {
        ...(nameProblem === undefined ? {} : { name: nameProblem }),
        ...(interestProblem === undefined ? {} : { interest: interestProblem })
      },
      duplicateOf: first ?? null
    }
  })
}

export const isSendable = (c: Candidate): boolean =>
  c.duplicateOf === null && c.problems.name === undefined && c.problems.interest === undefined

/** Batches of at most 100 (the server's limit), in order. */
export const chunks = <A>(items: ReadonlyArray<A>, size: number = limits.batchMax): ReadonlyArray<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Reads a dropped or chosen file: CSV/TSV/text as text, `.xlsx` through the spreadsheet reader (loaded on demand). */
export const readFile = async (file: File): Promise<Table> => {
  if (/\.xlsx$/i.test(file.name) || file.type === "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") {
    const { readSheet } = await import("read-excel-file/browser")
    return tableOf(await readSheet(file))
  }
  return parseText(await file.text())
}
