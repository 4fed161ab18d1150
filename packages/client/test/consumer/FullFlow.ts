/**
 * A Node 20 script using the installed package as an app would (Package.test.ts copies it into a project outside the
 * workspace): one email from generation to its text, then a batch watched through the queue with one item cancelled.
 * It prints what it saw as JSON for the test to check; SCRIBE_URL, SCRIBE_TOKEN and SCRIBE_PEOPLE come from the test.
 */
import { createScribeClient, isScribeError, type QueueItem } from "scribe-client"

interface Recipient {
  readonly recipient_name: string
  readonly recipient_interest: string
}

const people: ReadonlyArray<Recipient> = JSON.parse(process.env.SCRIBE_PEOPLE ?? "[]")
const template = "Dear {{name}},\n\nI read about {{research}} with great interest.\n\nBest,\nSam"
const scribe = createScribeClient({
  baseUrl: process.env.SCRIBE_URL ?? "http://127.0.0.1:8000",
  getToken: () => process.env.SCRIBE_TOKEN,
  pollIntervalMs: 50
})

/** The error a call rejects with, as the SDK describes it. */
const failure = (call: () => Promise<unknown>) =>
  call().then(
    () => null,
    (error: unknown) =>
      isScribeError(error) ? { tag: error._tag, message: error.message, httpStatus: error.httpStatus } : String(error)
  )

try {
  const [first, ...rest] = people
  if (first === undefined) throw new Error("SCRIBE_PEOPLE names no one")
  const { task_id } = await scribe.generate({ email_template: template, ...first })
  const statuses: Array<string> = []
  let emailId: string | undefined
  for await (const task of scribe.watchTask(task_id)) {
    statuses.push(task.status)
    if (task.result !== null && "email_id" in task.result) emailId = task.result.email_id
  }
  if (emailId === undefined) throw new Error(`task ${task_id} ended without an email: ${statuses.join(" ")}`)
  const email = await scribe.getEmail(emailId)

  const batch = await scribe.submitBatch({ email_template: template, items: rest })
  const queued = await scribe.listQueue()
  const lastId = batch.queue_item_ids.at(-1) ?? ""
  const cancelled = await scribe.cancel(lastId)
  const snapshots: Array<ReadonlyArray<Pick<QueueItem, "id" | "status">>> = []
  for await (const items of scribe.watchBatch(batch.queue_item_ids)) {
    snapshots.push(items.map(({ id, status }) => ({ id, status })))
  }

  const result = {
    taskId: task_id,
    statuses,
    email: {
      id: email.id,
      recipient_name: email.recipient_name,
      email_message: email.email_message,
      createdAtIsDate: email.created_at instanceof Date
    },
    batch: { ids: batch.queue_item_ids, message: batch.message },
    queued: queued.map(({ id, status, position }) => ({ id, status, position })),
    cancelled,
    snapshots,
    errors: {
      cancelAgain: await failure(() => scribe.cancel(lastId)),
      unknownTask: await failure(() => scribe.status("00000000-0000-4000-8000-000000000000")),
      invalid: await failure(() => scribe.generate({ email_template: "no placeholder", ...first }))
    }
  }
  console.log(JSON.stringify(result))
} finally {
  await scribe.dispose()
}
