import { createScribeClient, isScribeError } from "scribe-client"

const scribe = createScribeClient({
  baseUrl: process.env.SCRIBE_URL ?? "http://127.0.0.1:8000",
  getToken: () => process.env.SCRIBE_TOKEN // called before every request: return the current session's token
})
const request = {
  email_template: "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam",
  recipient_name: "Prof. Ada Lovelace",
  recipient_interest: "analytical engines"
}
try {
  const email = await scribe.generateAndWait(request, { onStatus: (task) => console.log(task.status) })
  console.log(email.email_message)
} catch (error) {
  console.error(isScribeError(error) ? `${error._tag} (${error.httpStatus}): ${error.message}` : error)
  process.exitCode = 1
} finally {
  await scribe.dispose()
}
