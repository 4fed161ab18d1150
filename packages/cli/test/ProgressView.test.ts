import { stripVTControlCharacters } from "node:util"
import type { QueueItem } from "@scribe/client/ScribeClient"
import { describe, expect, it } from "vitest"
import * as Batches from "../src/Batches"
import * as ProgressView from "../src/ProgressView"
import * as Screen from "../src/Screen"

const recipients = Array.from({ length: 150 }, (_, i) => ({
  row: i + 2,
  name: `Professor ${i + 2}`,
  interest: "topic"
}))

const submitted = (): ProgressView.RunView => {
  const batches = Batches.split({ recipients, contentHash: "h", template: "t", columns: ["name", "interest"] })
  const items = new Map<string, ProgressView.ItemView>()
  for (const r of recipients) {
    const id = `id-${r.row}`
    items.set(id, ProgressView.queuedItem(id, r))
  }
  return {
    items,
    batches: batches.map((b) => ({
      index: b.index,
      firstRow: b.firstRow,
      lastRow: b.lastRow,
      size: b.recipients.length,
      ids: b.recipients.map((r) => `id-${r.row}`),
      note: undefined
    }))
  }
}

const listed = (row: number, status: QueueItem["status"], extra: Partial<QueueItem> = {}): QueueItem => ({
  id: `id-${row}`,
  batch_id: null,
  recipient_name: `Professor ${row}`,
  recipient_interest: "topic",
  status,
  position: null,
  current_step: null,
  email_id: status === "completed" ? `email-${row}` : null,
  error_message: status === "failed" ? "the provider refused the key" : null,
  attempts: status === "pending" ? 0 : 1,
  created_at: new Date(0),
  started_at: null,
  completed_at: null,
  ...extra
})

const ids = recipients.map((r) => `id-${r.row}`)

describe("Batches.split", () => {
  it("cuts 150 rows into 100 + 50 with keys that depend on the content, the template and the range", () => {
    const input = { recipients, contentHash: "h", template: "t", columns: ["name", "interest"] as const }
    const batches = Batches.split(input)
    expect(batches.map((b) => [b.firstRow, b.lastRow, b.recipients.length])).toEqual([
      [2, 101, 100],
      [102, 151, 50]
    ])
    expect(batches[0]?.idempotencyKey).toMatch(/^scribe-cli-[0-9a-f]{40}-rows-2-101$/)
    expect(Batches.split(input).map((b) => b.idempotencyKey)).toEqual(batches.map((b) => b.idempotencyKey))
    expect(Batches.split({ ...input, template: "u" })[0]?.idempotencyKey).not.toBe(batches[0]?.idempotencyKey)
    expect(Batches.split({ ...input, contentHash: "g" })[0]?.idempotencyKey).not.toBe(batches[0]?.idempotencyKey)
    expect(batches[1]?.idempotencyKey).not.toBe(batches[0]?.idempotencyKey)
  })
})

describe("ProgressView", () => {
  const snapshot = [
    ...recipients.slice(0, 40).map((r) => listed(r.row, "completed")),
    listed(42, "failed"),
    listed(43, "processing", { current_step: "web_scraper" }),
    listed(44, "processing", { current_step: "email_composer" }),
    ...recipients.slice(43).map((r, i) => listed(r.row, "pending", { position: i + 1 }))
  ]

  it("frame: fits the terminal, shows running, failed and next in line first, and sums up the rest", () => {
    const run = ProgressView.applySnapshot(submitted(), snapshot, ids)
    const text = Screen.render(ProgressView.frame(run, { width: 80, height: 12, footer: "Ctrl-C stops watching" }))
    const plain = stripVTControlCharacters(text)
    const lines = plain.split("\n")
    expect(lines).toHaveLength(11)
    for (const line of lines) expect(line.length).toBeLessThan(80)
    expect(lines[0]).toMatch(/^Batch 1\/2 \(rows 2–101\)\s+█+░+ 41\/100 {2}✓ 40 {2}✗ 1$/)
    expect(lines[1]).toMatch(/^Batch 2\/2 \(rows 102–151\)\s+░+ 0\/50 {2}✓ 0 {2}✗ 0$/)
    expect(lines.slice(2, -2)).toEqual([
      "  row  42  Professor 42  failed: the provider refused the key",
      "  row  43  Professor 43  processing (web_scraper)",
      "  row  44  Professor 44  processing (email_composer)",
      "  row  45  Professor 45  pending (#1 in line)",
      "  row  46  Professor 46  pending (#2 in line)",
      "  row  47  Professor 47  pending (#3 in line)",
      "  row  48  Professor 48  pending (#4 in line)"
    ])
    expect(lines.at(-2)).toBe("  … 143 more: 40 completed, 103 pending")
    expect(lines.at(-1)).toBe("Ctrl-C stops watching")
  })

  it("changes: a line per change of status or step, and one per finished batch, each once", () => {
    const start = submitted()
    const first = ProgressView.changes(ProgressView.nothingPrinted, start)
    // Nothing is said of an item before a poll has listed it.
    expect(first.lines).toEqual([])
    const polled = ProgressView.applySnapshot(start, snapshot, ids)
    const second = ProgressView.changes(first.printed, polled)
    expect(second.lines).toHaveLength(150)
    expect(second.lines).toContain("row 43 Professor 43: processing (web_scraper)")
    expect(ProgressView.changes(second.printed, polled).lines).toEqual([])
    const done = ProgressView.applySnapshot(
      polled,
      recipients.map((r) => listed(r.row, r.row === 42 ? "failed" : "completed")),
      ids
    )
    const third = ProgressView.changes(second.printed, done)
    expect(third.lines.filter((line) => line.startsWith("Batch"))).toEqual([
      "Batch 1/2 (rows 2–101): done, 99 completed, 1 failed",
      "Batch 2/2 (rows 102–151): done, 50 completed, 0 failed"
    ])
    expect(third.lines.filter((line) => line.startsWith("row 42"))).toEqual([])
    expect(ProgressView.changes(third.printed, done).lines).toEqual([])
  })

  it("an item the queue no longer lists is gone; names cannot move the cursor", () => {
    const run = ProgressView.applySnapshot(submitted(), snapshot.slice(1), ids)
    expect(run.items.get("id-2")?.status).toBe("gone")
    expect(ProgressView.printable("Evil\u001b[2J\rName")).toBe("Evil [2J Name")
  })
})
