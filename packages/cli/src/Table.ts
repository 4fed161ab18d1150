import { printable } from "./ProgressView"

const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text)

/**
 * A plain-text table: columns as wide as their widest cell, two spaces apart; when wider than `width`, the `flexible`
 * column is cut (with an ellipsis) to fit. Cells are made printable.
 */
export const formatTable = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  options: { readonly width: number; readonly flexible: number }
): ReadonlyArray<string> => {
  const cells = rows.map((row) => row.map(printable))
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => (row[i] ?? "").length)))
  const total = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1)
  const over = total - (options.width - 1)
  if (over > 0) widths[options.flexible] = Math.max(8, (widths[options.flexible] ?? 0) - over)
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? fit(cell, widths[i] ?? 0) : fit(cell, widths[i] ?? 0).padEnd(widths[i] ?? 0)
      )
      .join("  ")
      .trimEnd()
  return [line(headers), ...cells.map(line)]
}

/** `2026-11-30T09:15:02.123Z` → `2026-11-30 09:15` in local time. */
export const shortTime = (date: Date) => {
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}
