import { QueryClient, QueryClientProvider } from "@tanstack/react-query"
import { render } from "@testing-library/react"
import type { ReactNode } from "react"
import { vi } from "vitest"
import { Router } from "wouter"
import { memoryLocation } from "wouter/memory-location"
import { ScribeProvider } from "../src/api/Scribe"
import { AuthProvider } from "../src/auth/Auth"

/** A signed-in dev session: a token whose claims the console reads (the scripted service never checks it). */
const claims = { sub: "00000000-0000-4000-8000-000000000001", email: "dev@localhost", exp: 4_102_444_800 }
export const devToken = `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, "")}.sig`

/** What the scripted service answers: a status and a JSON body. */
export type Answer = { readonly status: number; readonly body: unknown }
export type Handler = (request: { readonly method: string; readonly path: string; readonly body: unknown }) => Answer

/**
 * Renders `ui` as the console runs it (auth, query cache, the real clients) over a scripted service: every `fetch` is
 * answered by `handler`, and recorded.
 */
/**
 * The signed-in user's profile as the service answers it, its saved template being what the test put in this
 * browser's storage for the dev user.
 */
const profileAnswer = () => ({
  status: 200,
  body: {
    id: "00000000-0000-4000-8000-000000000001",
    email: "dev@localhost",
    display_name: null,
    generation_count: 0,
    template_count: 0,
    onboarded: true,
    email_template: localStorage.getItem("scribe.template.00000000-0000-4000-8000-000000000001"),
    created_at: "2026-12-01T00:00:00.000Z"
  }
})

export const renderWithService = (ui: ReactNode, handler: Handler, path = "/") => {
  sessionStorage.setItem("scribe.devToken", devToken)
  const calls: Array<{ method: string; path: string; body: unknown }> = []
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init)
      const url = new URL(request.url)
      const text = await request.text()
      const call = {
        method: request.method,
        path: url.pathname + url.search,
        body: text === "" ? null : JSON.parse(text)
      }
      calls.push(call)
      const answer = call.method === "GET" && call.path === "/api/user/profile" ? profileAnswer() : handler(call)
      return new Response(answer.body === null ? null : JSON.stringify(answer.body), {
        status: answer.status,
        headers: { "content-type": "application/json" }
      })
    })
  )
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  const { hook } = memoryLocation({ path })
  const view = render(
    <AuthProvider config={{ supabase: null, dev_sign_in: true }}>
      <QueryClientProvider client={queryClient}>
        <ScribeProvider>
          <Router hook={hook}>{ui}</Router>
        </ScribeProvider>
      </QueryClientProvider>
    </AuthProvider>
  )
  return { ...view, calls, queryClient }
}

export const queueItem = (overrides: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  batch_id: null,
  recipient_name: "Grace Hopper",
  recipient_interest: "compilers",
  status: "pending",
  position: 1,
  current_step: null,
  email_id: null,
  error_message: null,
  attempts: 0,
  created_at: "2026-03-01T10:00:00.000Z",
  started_at: null,
  completed_at: null,
  ...overrides
})
