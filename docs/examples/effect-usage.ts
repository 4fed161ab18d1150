// Effect usage of the client and its polling helpers (type-checked in CI).
import { Polling, ScribeClient } from "@scribe/client/browser"
import { Console, Effect, Stream } from "effect"

const template = "Dear {{name}}, I enjoyed your work on {{research}}."

export const program = Effect.gen(function* () {
  const { snapshots } = yield* Polling.submitBatchAndWatch({
    email_template: template,
    items: [{ recipient_name: "Dr. Grace Hopper", recipient_interest: "compilers" }]
  })
  yield* Stream.runForEach(snapshots, (items) =>
    Console.log(items.map((item) => `${item.recipient_name}: ${item.status}`))
  )
  const email = yield* Polling.generateAndWait({
    email_template: template,
    recipient_name: "Dr. Alan Turing",
    recipient_interest: "computability"
  })
  yield* Console.log(email.email_message)
}).pipe(
  Effect.catchTags({
    TaskFailed: (e) => Console.error(`failed in ${e.failedStep}: ${e.message}`),
    Unauthenticated: () => Console.error("sign in again")
  }),
  Effect.provide(ScribeClient.layer({ baseUrl: "http://127.0.0.1:8000", token: () => process.env.SCRIBE_TOKEN }))
)
