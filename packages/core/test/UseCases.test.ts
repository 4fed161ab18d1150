import { describe, expect, it } from "@effect/vitest"
import { AuthUser } from "@scribe/core/auth/AuthUser"
import { Email } from "@scribe/core/emails/Email"
import * as Emails from "@scribe/core/emails/EmailUseCases"
import type { EmailId, UserId } from "@scribe/core/Ids"
import { JobQueue } from "@scribe/core/jobs/JobQueue"
import * as Queue from "@scribe/core/jobs/QueueUseCases"
import * as JobQueueMemory from "@scribe/core/testing/JobQueueMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import * as SubmissionLimitsMemory from "@scribe/core/testing/SubmissionLimitsMemory"
import { Duration, Effect, Either, Layer, Option, TestClock } from "effect"

const alice = new AuthUser({ id: "alice" as UserId, email: "alice@uni.edu" })
const bob = new AuthUser({ id: "bob" as UserId, email: null })
const template = "Dear {{name}}, I read your work on {{research}}."
const item = (name: string) => ({ recipientName: name, recipientInterest: "graph theory" })

/** The in-memory store with its queue, and submission limits that never refuse. */
const stores = Layer.mergeAll(
  JobQueueMemory.layer().pipe(Layer.provideMerge(RepoMemory.layer)),
  SubmissionLimitsMemory.layer
)

/** Runs a job through a worker's claim and completion, as the worker will. */
const finish = (jobId: string, outcome: "completed" | "failed") =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const now = new Date(yield* TestClock.currentTimeMillis)
    const claim = yield* queue.take("w1")
    expect(claim.job.id).toBe(jobId)
    if (outcome === "failed") {
      return yield* queue.fail(claim, {
        message: "no",
        type: "Permanent",
        failedStep: "email_composer",
        stepTimings: {},
        now
      })
    }
    const email = new Email({
      id: crypto.randomUUID() as EmailId,
      userId: alice.id,
      jobId: claim.job.id,
      recipientName: "Ada",
      recipientInterest: "graphs",
      emailMessage: "Dear Ada",
      templateType: "research",
      metadata: {},
      isConfident: true,
      displayed: true,
      createdAt: now
    })
    return yield* queue.complete(claim, { email, generationTime: 3, stepTimings: {}, now })
  })

describe("queue use-cases", () => {
  it.effect("keeps batch request order and ranks pending jobs across users, round-robin (the fair order)", () =>
    Effect.gen(function* () {
      const first = yield* Queue.submitBatch(alice, { emailTemplate: template, items: [item("A1"), item("A2")] })
      yield* Queue.submitBatch(bob, { emailTemplate: template, items: [item("B1")] })
      const third = yield* Queue.submitBatch(alice, { emailTemplate: template, items: [item("A3")] })
      const listed = yield* Queue.list(alice)
      expect(listed.map((e) => e.job.recipientName)).toEqual(["A1", "A2", "A3"])
      // Alice's first job, then Bob's, then Alice's others.
      expect(listed.map((e) => e.position)).toEqual([1, 3, 4])
      expect(listed.map((e) => e.job.id)).toEqual([...first, ...third])
      expect((yield* Queue.list(bob)).map((e) => e.position)).toEqual([2])
    }).pipe(Effect.provide(stores))
  )

  it.effect("rejects empty and oversized batches without writing", () =>
    Effect.gen(function* () {
      const empty = yield* Effect.either(Queue.submitBatch(alice, { emailTemplate: template, items: [] }))
      expect(Either.getLeft(empty).pipe(Option.map((e) => e._tag))).toEqual(Option.some("BatchEmpty"))
      const big = Array.from({ length: 101 }, (_, i) => item(`R${i}`))
      const tooMany = yield* Effect.either(Queue.submitBatch(alice, { emailTemplate: template, items: big }))
      expect(Either.getLeft(tooMany).pipe(Option.map((e) => e._tag))).toEqual(Option.some("BatchTooLarge"))
      expect(yield* Queue.list(alice)).toHaveLength(0)
      expect(yield* Queue.submitBatch(alice, { emailTemplate: template, items: big.slice(0, 100) })).toHaveLength(100)
    }).pipe(Effect.provide(stores))
  )

  it.effect("shows the last 24 hours only (driven by the clock)", () =>
    Effect.gen(function* () {
      yield* Queue.submitBatch(alice, { emailTemplate: template, items: [item("old")] })
      yield* TestClock.adjust(Duration.hours(23))
      yield* Queue.submitBatch(alice, { emailTemplate: template, items: [item("new")] })
      expect((yield* Queue.list(alice)).map((e) => e.job.recipientName)).toEqual(["old", "new"])
      yield* TestClock.adjust(Duration.millis(Duration.toMillis("1 hour") + 1))
      expect((yield* Queue.list(alice)).map((e) => e.job.recipientName)).toEqual(["new"])
    }).pipe(Effect.provide(stores))
  )

  it.effect("cancels only the owner's pending jobs", () =>
    Effect.gen(function* () {
      const [a, b] = yield* Queue.submitBatch(alice, { emailTemplate: template, items: [item("A1"), item("A2")] })
      const bobs = yield* Effect.flip(Queue.cancel(bob, a!))
      expect(bobs._tag).toBe("QueueItemNotFound")
      yield* Queue.cancel(alice, a!)
      expect((yield* Queue.list(alice)).map((e) => [e.job.id, e.position])).toEqual([[b, 1]])
      expect((yield* Effect.flip(Queue.cancel(alice, a!)))._tag).toBe("QueueItemNotFound")
      yield* finish(b!, "failed")
      const notPending = yield* Effect.flip(Queue.cancel(alice, b!))
      expect(notPending).toMatchObject({ _tag: "CannotCancel", status: "failed" })
      expect((yield* Effect.flip(Queue.cancel(alice, "nope")))._tag).toBe("InvalidQueueItemId")
    }).pipe(Effect.provide(stores))
  )
})

describe("email use-cases", () => {
  it.effect("task status: PENDING, then SUCCESS, then gone an hour after finishing (clock-driven)", () =>
    Effect.gen(function* () {
      const taskId = yield* Emails.generate(alice, {
        emailTemplate: template,
        recipientName: "Ada",
        recipientInterest: "graphs"
      })
      expect((yield* Emails.status(alice, taskId)).status).toEqual({ status: "PENDING" })
      expect((yield* Effect.flip(Emails.status(bob, taskId)))._tag).toBe("TaskNotFound")
      expect((yield* Effect.flip(Emails.status(alice, crypto.randomUUID())))._tag).toBe("TaskNotFound")
      expect((yield* Effect.flip(Emails.status(alice, "garbage")))._tag).toBe("TaskNotFound")
      yield* TestClock.adjust("5 minutes")
      expect(yield* finish(taskId, "completed")).toBe(true)
      const done = yield* Emails.status(alice, taskId)
      expect(done.status.status).toBe("SUCCESS")
      yield* TestClock.adjust("1 hour")
      expect((yield* Emails.status(alice, taskId)).status.status).toBe("SUCCESS")
      yield* TestClock.adjust("1 millis")
      expect((yield* Effect.flip(Emails.status(alice, taskId)))._tag).toBe("TaskNotFound")
    }).pipe(Effect.provide(stores))
  )

  it.effect("emails are private, listed newest first, and can be discarded", () =>
    Effect.gen(function* () {
      const taskId = yield* Emails.generate(alice, {
        emailTemplate: template,
        recipientName: "Ada",
        recipientInterest: "x1"
      })
      yield* finish(taskId, "completed")
      const status = yield* Emails.status(alice, taskId)
      const emailId = status.status.status === "SUCCESS" ? status.status.emailId : ""
      expect((yield* Emails.get(alice, emailId)).id).toBe(emailId)
      expect((yield* Effect.flip(Emails.get(bob, emailId)))._tag).toBe("EmailNotFound")
      expect((yield* Effect.flip(Emails.get(alice, "zzz")))._tag).toBe("InvalidEmailId")
      expect((yield* Effect.flip(Emails.setDisplayed(bob, emailId, false)))._tag).toBe("EmailNotFound")
      const page = { limit: 20, offset: 0, includeDiscarded: false }
      expect(yield* Emails.list(bob, page)).toHaveLength(0)
      expect(yield* Emails.list(alice, page)).toHaveLength(1)
      expect((yield* Emails.setDisplayed(alice, emailId, false)).displayed).toBe(false)
      expect(yield* Emails.list(alice, page)).toHaveLength(0)
      expect(yield* Emails.list(alice, { ...page, includeDiscarded: true })).toHaveLength(1)
    }).pipe(Effect.provide(stores))
  )
})
