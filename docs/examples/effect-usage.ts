// An Effect program: the Effect client and its polling helpers (SCRIBE_URL and SCRIBE_TOKEN as for the quickstart).
import { Console, Effect, Stream } from "effect"
import { Polling, ScribeClient } from "scribe-client"

const template = "Dear {{name}}, I enjoyed your work on {{research}}."

const program = Effect.gen(function* () {
  const { snapshots } = yield* Polling.submitBatchAndWatch({
    email_template: template,
    items: [
      { recipient_name: "Prof. Ada Lovelace", recipient_interest: "analytical engines" },
      { recipient_name: "Dr. Alan Lovelace", recipient_interest: "marine biology" }
    ]
  })
  yield* Stream.runForEach(snapshots, (items) =>
    Console.log(items.map((item) => `${item.recipient_name}: ${item.status}`).join(", "))
  )
  const email = yield* Polling.generateAndWait({
    email_template: template,
    recipient_name: "Dr. Alan Lovelace",
    recipient_interest: "marine biology"
  })
  yield* Console.log(email.email_message)
}).pipe(
  Effect.catchTags({
    TaskFailed: (e) => Console.error(`failed in ${e.failedStep}: ${e.message}`),
    Unauthenticated: (e) => Console.error(`sign in again: ${e.message}`)
  }),
  Effect.provide(
    ScribeClient.layer({
      baseUrl: process.env.SCRIBE_URL ?? "http://127.0.0.1:8000",
      token: () => process.env.SCRIBE_TOKEN
    })
  )
)

Effect.runPromise(program)
