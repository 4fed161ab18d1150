import { describe, expect, it } from "@effect/vitest"
import { AdminQueueItem, AdminUser, FailedJobItem } from "@scribe/client/AdminApi"
import { EmailResponse, QueueItem } from "@scribe/client/Wire"
import { BatchId, EmailId, JobId } from "@scribe/core/Ids"
import type { QueueEntry } from "@scribe/core/jobs/Job"
// The fast-check that effect's `Arbitrary` builds on (its `Unknown` arbitrary needs that same version's runner).
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import { encodeAdminQueueItem, encodeAdminUser, encodeFailedJobItem } from "../src/AdminHttp"
import { encodeEmailResponse, encodeQueueEntry, queueItem } from "../src/Presenters"

describe("encodeQueueEntry", () => {
  const encode = Schema.encodeSync(QueueItem)
  const schemaText = (entries: ReadonlyArray<QueueEntry>) => JSON.stringify(entries.map((e) => encode(queueItem(e))))
  // Listed jobs drawn through the wire shape, ids unchecked (its arbitrary is quick; the core `Job`'s refinements make
  // its own slow).
  const entry = Arbitrary.make(QueueItem).map(
    (item): QueueEntry => ({
      job: {
        id: JobId.make(item.id, true),
        batchId: item.batch_id === null ? null : BatchId.make(item.batch_id, true),
        seq: 1,
        recipientName: item.recipient_name,
        recipientInterest: item.recipient_interest,
        status: item.status,
        currentStep: item.current_step,
        attempts: item.attempts,
        errorMessage: item.error_message,
        emailId: item.email_id === null ? null : EmailId.make(item.email_id, true),
        createdAt: item.created_at,
        startedAt: item.started_at,
        finishedAt: item.completed_at
      },
      position: item.position
    })
  )

  it("writes exactly what the contract's schema encodes, key order included", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        expect(JSON.stringify(entries.map(encodeQueueEntry))).toBe(schemaText(entries))
      }),
      { numRuns: 300 }
    )
  })

  it("keeps null timestamps null, writes instants in UTC with milliseconds and a processing job's step", () => {
    const job = {
      id: JobId.make("7d8f3c52-6a8e-4a53-9d38-0d0f3b8f6d11"),
      batchId: null,
      seq: 1,
      recipientName: "Dr. Grace Hopper",
      recipientInterest: "compilers",
      status: "processing",
      currentStep: null,
      attempts: 1,
      errorMessage: null,
      emailId: null,
      createdAt: new Date(Date.UTC(2026, 10, 22, 9, 30, 0, 5)),
      startedAt: null,
      finishedAt: null
    } as const
    const written = JSON.stringify([encodeQueueEntry({ job, position: null })])
    expect(JSON.parse(written)).toEqual([
      {
        id: job.id,
        batch_id: null,
        recipient_name: "Dr. Grace Hopper",
        recipient_interest: "compilers",
        status: "processing",
        position: null,
        // A processing job that has not reported a step yet is at the first one.
        current_step: "template_parser",
        email_id: null,
        error_message: null,
        attempts: 1,
        created_at: "2026-11-22T09:30:00.005Z",
        started_at: null,
        completed_at: null
      }
    ])
    expect(written).toBe(schemaText([{ job, position: null }]))
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
