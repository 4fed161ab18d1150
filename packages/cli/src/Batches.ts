import { createHash } from "node:crypto"
import type { Recipient } from "./Recipients"

/** Items per batch, the contract's maximum. */
export const batchSize = 100

/** One submission: up to 100 consecutive rows of the file. */
export interface Batch {
  /** 1-based. */
  readonly index: number
  readonly recipients: ReadonlyArray<Recipient>
  readonly firstRow: number
  readonly lastRow: number
  /**
   * The `Idempotency-Key`, derived from what is submitted — the file's content hash, the template, the columns read
   * and the row range — so a rerun of the same file (within the server's 24 hours) queues nothing new.
   */
  readonly idempotencyKey: string
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** Splits the recipients into batches of 100, in file order. */
export const split = (input: {
  readonly recipients: ReadonlyArray<Recipient>
  readonly contentHash: string
  readonly template: string
  readonly columns: readonly [string, string]
}): ReadonlyArray<Batch> => {
  const batches: Array<Batch> = []
  for (let start = 0; start < input.recipients.length; start += batchSize) {
    const recipients = input.recipients.slice(start, start + batchSize)
    const firstRow = recipients[0]?.row ?? 0
    const lastRow = recipients.at(-1)?.row ?? 0
    const digest = sha256(
      JSON.stringify([input.contentHash, sha256(input.template), input.columns, firstRow, lastRow])
    ).slice(0, 40)
    batches.push({
      index: batches.length + 1,
      recipients,
      firstRow,
      lastRow,
      idempotencyKey: `scribe-cli-${digest}-rows-${firstRow}-${lastRow}`
    })
  }
  return batches
}
