// React-style usage of the Promise client (type-checked in CI). In a component:
//   useEffect(() => generateOnMount(setEmail, setError), [])  — the returned cleanup aborts the polling.
import { createScribeClient, type Email, isScribeError } from "scribe-client"

declare const supabase: { auth: { getSession(): Promise<{ data: { session: { access_token: string } | null } }> } }

const scribe = createScribeClient({
  baseUrl: "https://scribe.example.com",
  getToken: async () => (await supabase.auth.getSession()).data.session?.access_token
})

export function generateOnMount(setEmail: (email: Email) => void, setError: (message: string) => void) {
  const controller = new AbortController()
  const request = {
    email_template: "Dear {{name}}, I read {{paper}}…",
    recipient_name: "Dr. Ada Lovelace",
    recipient_interest: "analytical engines"
  }
  scribe.generateAndWait(request, { signal: controller.signal }).then(setEmail, (error: unknown) => {
    if (!isScribeError(error) || error._tag === "ScribeAborted") return
    if (error._tag === "TaskFailed") setError(`Generation failed in ${error.failedStep ?? "setup"}: ${error.message}`)
    else if (error._tag === "Unauthenticated") setError("Please sign in again")
    else setError(error.message)
  })
  return () => controller.abort()
}
