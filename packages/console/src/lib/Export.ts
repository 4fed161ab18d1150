import type { Email } from "@scribe/client/ScribeClient"
import Papa from "papaparse"

const columns = ["Recipient", "Research interest", "Email", "Confident", "Discarded", "Created (UTC)", "Id"] as const

export const exportRows = (emails: ReadonlyArray<Email>): ReadonlyArray<ReadonlyArray<string>> =>
  emails.map((e) => [
    e.recipient_name,
    e.recipient_interest,
    e.email_message,
    e.is_confident ? "yes" : "no",
    e.displayed ? "no" : "yes",
    e.created_at.toISOString(),
    e.id
  ])

/** CSV with a header row; a leading `=`, `+`, `-` or `@` is quoted away so a spreadsheet never runs it as a formula. */
export const toCsv = (emails: ReadonlyArray<Email>): string =>
  Papa.unparse({ fields: [...columns], data: exportRows(emails).map((r) => [...r]) }, { escapeFormulae: true })

const download = (blob: Blob, name: string) => {
  const url = URL.createObjectURL(blob)
  const a = document.createElement("a")
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

const stamp = () => new Date().toISOString().slice(0, 10)

export const downloadCsv = (emails: ReadonlyArray<Email>) =>
  download(new Blob([toCsv(emails)], { type: "text/csv;charset=utf-8" }), `scribe-emails-${stamp()}.csv`)

/** `.xlsx` through the spreadsheet writer, loaded only when asked for. */
export const downloadXlsx = async (emails: ReadonlyArray<Email>) => {
  const { default: writeXlsxFile } = await import("write-excel-file/browser")
  const header = columns.map((value) => ({ value, fontWeight: "bold" as const }))
  const rows = exportRows(emails).map((r) => r.map((value) => ({ value })))
  const blob = await writeXlsxFile([header, ...rows], {
    columns: columns.map((_, i) => ({ width: i === 2 ? 80 : 24 }))
  }).toBlob()
  download(blob, `scribe-emails-${stamp()}.xlsx`)
}
