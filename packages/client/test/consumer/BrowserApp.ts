/**
 * A browser app's use of the installed package (Package.test.ts builds it with Vite outside the workspace): the
 * Promise client, its polling and its errors. What Vite ships for it is the bundle size docs/client.md reports.
 */
import { createScribeClient, isScribeError } from "scribe-client"

const scribe = createScribeClient({
  baseUrl: "https://scribe.example.com",
  getToken: async () => (await fetch("/session/access-token")).text()
})

const controller = new AbortController()
scribe
  .generateAndWait(
    {
      email_template: "Dear {{name}}, I enjoyed your work on {{research}}.",
      recipient_name: "Prof. Ada Lovelace",
      recipient_interest: "analytical engines"
    },
    { signal: controller.signal, onStatus: (task) => console.info(task.status) }
  )
  .then(
    (email) => console.info(email.email_message),
    (error: unknown) => console.error(isScribeError(error) ? `${error._tag}: ${error.message}` : error)
  )
