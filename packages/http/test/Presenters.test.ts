import { describe, expect, it } from "@effect/vitest"
import { EmailResponse, QueueItem } from "@scribe/client/Wire"
// The fast-check that effect's `Arbitrary` builds on (its `Unknown` arbitrary needs that same version's runner).
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import { encodeEmailResponse, encodeQueueItem } from "../src/Presenters"

describe("encodeQueueItem", () => {
  it("writes exactly what the contract's schema encodes, key order included", () => {
    const encode = Schema.encodeSync(QueueItem)
    fc.assert(
      fc.property(Arbitrary.make(QueueItem), (item) => {
        expect(JSON.stringify(encodeQueueItem(item))).toBe(JSON.stringify(encode(item)))
      }),
      { numRuns: 500 }
    )
  })

  it("keeps null timestamps null and writes instants in UTC with milliseconds", () => {
    const item = {
      id: "7d8f3c52-6a8e-4a53-9d38-0d0f3b8f6d11",
      batch_id: null,
      recipient_name: "Dr. Grace Hopper",
      recipient_interest: "compilers",
      status: "pending",
      position: 3,
      current_step: null,
      email_id: null,
      error_message: null,
      attempts: 0,
      created_at: new Date(Date.UTC(2026, 10, 22, 9, 30, 0, 5)),
      started_at: null,
      completed_at: null
    } as const
    expect(encodeQueueItem(item)).toMatchObject({
      created_at: "2026-11-22T09:30:00.005Z",
      started_at: null,
      completed_at: null
    })
  })
})

describe("encodeEmailResponse", () => {
  it("writes exactly what the contract's schema encodes, key order included", () => {
    const encode = Schema.encodeSync(EmailResponse)
    fc.assert(
      fc.property(Arbitrary.make(EmailResponse), (email) => {
        expect(JSON.stringify(encodeEmailResponse(email))).toBe(JSON.stringify(encode(email)))
      }),
      { numRuns: 300 }
    )
  })
})
