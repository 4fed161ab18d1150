import { describe, expect, it } from "@effect/vitest"
import { AdminQueueItem, AdminUser, FailedJobItem } from "@scribe/client/AdminApi"
import { EmailResponse, QueueItem } from "@scribe/client/Wire"
// The fast-check that effect's `Arbitrary` builds on (its `Unknown` arbitrary needs that same version's runner).
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import { encodeAdminQueueItem, encodeAdminUser, encodeFailedJobItem } from "../src/AdminHttp"
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
        // The one difference, pinned below: the schema's record encoder assigns each key to a new object, so an own
        // `__proto__` key of the metadata becomes that object's prototype and drops out of the JSON.
        fc.pre(!Object.hasOwn(email.metadata, "__proto__"))
        expect(JSON.stringify(encodeEmailResponse(email))).toBe(JSON.stringify(encode(email)))
      }),
      { numRuns: 300 }
    )
  })

  it("keeps a metadata key named __proto__ as data, as the database returned it, and pollutes nothing", () => {
    const metadata = JSON.parse('{"__proto__":{"polluted":true},"composer":"deterministic"}') as Record<string, unknown>
    const email = {
      id: "7d8f3c52-6a8e-4a53-9d38-0d0f3b8f6d11",
      user_id: "00000000-0000-4000-8000-000000000001",
      recipient_name: "Dr. Grace Hopper",
      recipient_interest: "compilers",
      email_message: "Dear Dr. Hopper",
      template_type: null,
      metadata,
      is_confident: false,
      displayed: true,
      created_at: new Date(Date.UTC(2026, 10, 22, 9, 30))
    }
    const written = JSON.stringify(encodeEmailResponse(email))
    expect(JSON.parse(written).metadata).toEqual(metadata)
    expect(written).toContain('"metadata":{"__proto__":{"polluted":true},"composer":"deterministic"}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe("the operators' encoders", () => {
  const agrees = <A, I>(schema: Schema.Schema<A, I>, encoder: (a: A) => I) => {
    const encode = Schema.encodeSync(schema)
    fc.assert(
      fc.property(Arbitrary.make(schema), (value) => {
        expect(JSON.stringify(encoder(value))).toBe(JSON.stringify(encode(value)))
      }),
      { numRuns: 300 }
    )
  }

  it("write exactly what the contract's schemas encode, key order included", () => {
    agrees(AdminUser, encodeAdminUser)
    agrees(AdminQueueItem, encodeAdminQueueItem)
    agrees(FailedJobItem, encodeFailedJobItem)
  })
})
