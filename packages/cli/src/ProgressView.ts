import * as Ansi from "@effect/printer-ansi/Ansi"
import * as AnsiDoc from "@effect/printer-ansi/AnsiDoc"
import type { QueueItem } from "@scribe/client/ScribeClient"

/** What the batch command shows of one item. `gone`: no longer listed (cancelled, or expired from the listing). */
export interface ItemView {
  readonly id: string
  readonly row: number
  readonly name: string
  readonly status: QueueItem["status"] | "gone"
  readonly position: number | null
  readonly step: string | null
  readonly error: string | null
  readonly emailId: string | null
  /** False until a poll of the queue has listed it. */
  readonly seen: boolean
}

/** A job just queued, not yet seen in the queue. */
export const queuedItem = (id: string, recipient: { readonly row: number; readonly name: string }): ItemView => ({
  id,
  row: recipient.row,
  name: recipient.name,
  status: "pending",
  position: null,
  step: null,
  error: null,
  emailId: null,
  seen: false
})

export interface BatchView {
  readonly index: number
  readonly firstRow: number
  readonly lastRow: number
  readonly size: number
  /** The ids of its jobs, in row order, once submitted. */
  readonly ids: ReadonlyArray<string> | undefined
  /** Why it is not submitted yet (e.g. waiting for the server's limits). */
  readonly note: string | undefined
}

export interface RunView {
  readonly batches: ReadonlyArray<BatchView>
  readonly items: ReadonlyMap<string, ItemView>
}

export const isFinished = (item: ItemView) =>
  item.status === "completed" || item.status === "failed" || item.status === "gone"

/** Text from a spreadsheet or a server is printed, never interpreted: control characters become spaces. */
export const printable = (text: string) => text.replace(/\p{Cc}/gu, " ")

/** The run after a snapshot of the queue: listed items take its values, unlisted known ones become `gone`. */
export const applySnapshot = (
  run: RunView,
  snapshot: ReadonlyArray<QueueItem>,
  watched: ReadonlyArray<string>
): RunView => {
  const listed = new Map(snapshot.map((item) => [item.id, item]))
  const items = new Map(run.items)
  for (const id of watched) {
    const known = items.get(id)
    if (known === undefined) continue
    const item = listed.get(id)
    items.set(
      id,
      item === undefined
        ? { ...known, status: "gone", position: null, step: null }
        : {
            ...known,
            status: item.status,
            position: item.position,
            step: item.current_step,
            error: item.error_message,
            emailId: item.email_id,
            seen: true
          }
    )
  }
  return { ...run, items }
}

/** Counts of a set of items by outcome. */
export const tally = (items: Iterable<ItemView>) => {
  const counts = { total: 0, done: 0, completed: 0, failed: 0, gone: 0, processing: 0, pending: 0 }
  for (const item of items) {
    counts.total++
    if (isFinished(item)) counts.done++
    counts[item.status === "gone" ? "gone" : item.status]++
  }
  return counts
}

const itemsOf = (run: RunView, batch: BatchView) =>
  (batch.ids ?? []).flatMap((id) => {
    const item = run.items.get(id)
    return item === undefined ? [] : [item]
  })

const isDone = (run: RunView, batch: BatchView) => {
  const items = itemsOf(run, batch)
  return batch.ids !== undefined && items.length === batch.ids.length && items.every(isFinished)
}

const describeItem = (item: ItemView): string => {
  switch (item.status) {
    case "pending":
      return !item.seen ? "submitted" : item.position === null ? "pending" : `pending (#${item.position} in line)`
    case "processing":
      return item.step === null ? "processing" : `processing (${item.step})`
    case "completed":
      return "completed"
    case "failed":
      return `failed: ${printable(item.error ?? "unknown error")}`
    case "gone":
      return "no longer listed (cancelled, or expired from the queue)"
  }
}

const batchTitle = (run: RunView, batch: BatchView) =>
  `Batch ${batch.index}/${run.batches.length} (rows ${batch.firstRow}–${batch.lastRow})`

/** What a non-terminal run has printed so far: each item's last status and step, and the batches reported done. */
export interface Printed {
  readonly items: ReadonlyMap<string, string>
  readonly batches: ReadonlySet<number>
}

export const nothingPrinted: Printed = { items: new Map(), batches: new Set() }

/**
 * The lines a non-terminal run appends for the run as it is now: one per item whose status or step changed since it
 * was last printed, and one per batch that finished since.
 */
export const changes = (
  printed: Printed,
  run: RunView
): { readonly lines: ReadonlyArray<string>; readonly printed: Printed } => {
  const lines: Array<string> = []
  const items = new Map(printed.items)
  const batches = new Set(printed.batches)
  for (const batch of run.batches) {
    for (const item of itemsOf(run, batch)) {
      if (!item.seen) continue
      const key = `${item.status}/${item.step}`
      if (items.get(item.id) === key) continue
      items.set(item.id, key)
      lines.push(`row ${item.row} ${printable(item.name)}: ${describeItem(item)}`)
    }
    if (!batches.has(batch.index) && isDone(run, batch)) {
      batches.add(batch.index)
      const t = tally(itemsOf(run, batch))
      const gone = t.gone > 0 ? `, ${t.gone} no longer listed` : ""
      lines.push(`${batchTitle(run, batch)}: done, ${t.completed} completed, ${t.failed} failed${gone}`)
    }
  }
  return { lines, printed: { items, batches } }
}

const statusStyle: Record<ItemView["status"], Ansi.Ansi> = {
  pending: Ansi.blackBright,
  processing: Ansi.yellow,
  completed: Ansi.green,
  failed: Ansi.red,
  gone: Ansi.magenta
}

const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text)

const pad = (text: string, width: number) => fit(text, width).padEnd(width)

const bar = (done: number, total: number, width: number) => {
  const filled = total === 0 ? 0 : Math.round((done / total) * width)
  return AnsiDoc.cat(
    AnsiDoc.text("█".repeat(filled)).pipe(AnsiDoc.annotate(Ansi.green)),
    AnsiDoc.text("░".repeat(width - filled)).pipe(AnsiDoc.annotate(Ansi.blackBright))
  )
}

/** Which items get a line when not all fit: running, failed, next in line, then the most recent completed. */
const rank = (item: ItemView) =>
  item.status === "processing"
    ? 0
    : item.status === "failed"
      ? 1
      : item.status === "pending"
        ? 2 + (item.position ?? 1_000_000) / 1e7
        : 3

export interface FrameOptions {
  readonly width: number
  readonly height: number
  /** The last line (what Ctrl-C does); none when empty. */
  readonly footer: string
}

/**
 * The terminal frame: one bar per batch, one line per item (status, position, current step) as far as the terminal's
 * height allows (the rest summed up), and a footer. No line is wider than `width - 1`, so redrawing never wraps.
 */
export const frame = (run: RunView, options: FrameOptions): AnsiDoc.AnsiDoc => {
  const width = Math.max(40, options.width) - 1
  const lines: Array<AnsiDoc.AnsiDoc> = []
  const titleWidth = Math.min(40, Math.max(...run.batches.map((b) => batchTitle(run, b).length)))
  for (const batch of run.batches) {
    const title = AnsiDoc.text(pad(batchTitle(run, batch), titleWidth))
    if (batch.ids === undefined) {
      const note = batch.note ?? "waiting to be submitted"
      lines.push(
        AnsiDoc.hsep([title, AnsiDoc.text(fit(note, width - titleWidth - 1)).pipe(AnsiDoc.annotate(Ansi.yellow))])
      )
      continue
    }
    const t = tally(itemsOf(run, batch))
    const counts = `${t.done}/${t.total}  ✓ ${t.completed}  ✗ ${t.failed}`
    const barWidth = Math.max(5, Math.min(30, width - titleWidth - counts.length - 3))
    lines.push(AnsiDoc.hsep([title, bar(t.done, t.total, barWidth), AnsiDoc.text(counts)]))
  }
  const all = run.batches.flatMap((batch) => itemsOf(run, batch))
  // The frame keeps to `height - 1` lines: the cursor's line below it must not scroll its first line away.
  const room = Math.max(2, options.height - 1 - lines.length - (options.footer === "" ? 0 : 1))
  const shown =
    all.length <= room
      ? all
      : [...all]
          .sort((a, b) => rank(a) - rank(b) || (rank(a) === 3 ? b.row - a.row : a.row - b.row))
          .slice(0, room - 1)
          .sort((a, b) => a.row - b.row)
  const nameWidth = Math.min(30, Math.max(10, ...shown.map((item) => printable(item.name).length)))
  const rowWidth = String(Math.max(0, ...all.map((item) => item.row))).length
  for (const item of shown) {
    const prefix = `  row ${String(item.row).padStart(rowWidth)}  ${pad(printable(item.name), nameWidth)}  `
    lines.push(
      AnsiDoc.cat(
        AnsiDoc.text(prefix),
        AnsiDoc.text(fit(describeItem(item), width - prefix.length)).pipe(AnsiDoc.annotate(statusStyle[item.status]))
      )
    )
  }
  if (shown.length < all.length) {
    const hidden = tally(all.filter((item) => !shown.includes(item)))
    const parts = [
      hidden.completed > 0 ? `${hidden.completed} completed` : "",
      hidden.failed > 0 ? `${hidden.failed} failed` : "",
      hidden.processing > 0 ? `${hidden.processing} processing` : "",
      hidden.pending > 0 ? `${hidden.pending} pending` : "",
      hidden.gone > 0 ? `${hidden.gone} no longer listed` : ""
    ].filter((part) => part !== "")
    lines.push(AnsiDoc.text(fit(`  … ${hidden.total} more: ${parts.join(", ")}`, width)))
  }
  if (options.footer !== "") {
    lines.push(AnsiDoc.text(fit(options.footer, width)).pipe(AnsiDoc.annotate(Ansi.blackBright)))
  }
  return AnsiDoc.vsep(lines)
}
