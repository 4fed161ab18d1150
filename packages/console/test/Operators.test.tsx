// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react"
import { afterEach, describe, expect, it, vi } from "vitest"
import AdminPage from "../src/admin/AdminPage"
import { TemplatePage } from "../src/pages/TemplatePage"
import { type Handler, renderWithService } from "./Harness"

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  localStorage.clear()
  sessionStorage.clear()
})

const created = "2026-11-30T09:00:00.000Z"
const student = {
  id: "5d32c344-dec8-4c78-868e-397e5e42df76",
  email: "student@scribe.test",
  display_name: null,
  generation_count: 3,
  template_count: 1,
  onboarded: true,
  created_at: created,
  actual_email_count: 3,
  queue_submissions: 4,
  failed_count: 1,
  email_template: null
}

/** The operators' routes as the service answers them (wire shapes: timestamps as strings). */
const operatorRoutes: Handler = ({ path }) => {
  if (path === "/api/admin/overview")
    return {
      status: 200,
      body: {
        total_users: 2,
        total_emails: 3,
        success_rate: 75,
        avg_gen_time_seconds: 4.25,
        total_templates: 1,
        confidence_rate: 33.3,
        error_count: 1,
        emails_this_week: 3,
        active_users_this_week: 1
      }
    }
  if (path === "/api/admin/activity?weeks=12")
    return {
      status: 200,
      body: [
        { week: "2026-W48", emails_generated: 0, active_users: 0 },
        { week: "2026-W49", emails_generated: 3, active_users: 1 }
      ]
    }
  if (path === "/api/admin/users") return { status: 200, body: [student] }
  if (path === "/api/admin/errors?limit=50")
    return {
      status: 200,
      body: [
        {
          id: "9b0a7c1e-2f43-4d6a-9a51-6a0f2f9c2b11",
          user_id: student.id,
          user_email: student.email,
          user_display_name: null,
          recipient_name: "Grace Hopper",
          recipient_interest: "compilers",
          current_step: "arxiv_helper",
          error_message: "arXiv could not be reached",
          error_type: "upstream",
          attempts: 3,
          created_at: created,
          started_at: created,
          completed_at: created
        }
      ]
    }
  return { status: 404, body: { detail: "Not Found" } }
}

describe("the operators' view", () => {
  it("shows the figures, the weekly chart, the users and the error log from the operators' routes", async () => {
    renderWithService(<AdminPage />, operatorRoutes)
    const overview = await screen.findByRole("region", { name: "Overview" })
    expect(overview.textContent).toContain("Users2")
    expect(overview.textContent).toContain("Success rate75%")
    expect(overview.textContent).toContain("Mean time4.25 s")
    expect(await screen.findByRole("img", { name: /Emails per week/ })).toBeTruthy()
    expect(screen.getByRole("table", { name: "Weekly activity" }).textContent).toContain("2026-W49")
    expect(await screen.findByRole("link", { name: student.email })).toBeTruthy()
    const log = within(screen.getByRole("region", { name: "Error log" }))
    expect(await log.findByText("arXiv could not be reached")).toBeTruthy()
    expect(log.getByText(/3 attempt/).textContent).toContain("arxiv_helper")
  })

  it("tells a signed-in non-operator that the page is for operators, from the service's 403", async () => {
    renderWithService(<AdminPage />, () => ({ status: 403, body: { detail: "Admin access required" } }))
    const alert = await screen.findByRole("alert")
    expect(alert.textContent).toContain("This page is for operators only.")
    expect(screen.queryByRole("region", { name: "Overview" })).toBeNull()
  })

  it("opens a user's emails, jobs and résumé templates", async () => {
    const handler: Handler = (call) => {
      if (call.path === `/api/admin/users/${student.id}/emails?page=1&per_page=20`)
        return {
          status: 200,
          body: {
            items: [
              {
                id: "0f7e3c2a-5b8d-4e1f-9a6c-3d2b1a0f9e8d",
                user_id: student.id,
                recipient_name: "Ada Lovelace",
                recipient_interest: "analytical engines",
                email_message: "Dear Ada Lovelace, …",
                displayed: false,
                is_confident: false,
                template_type: "research",
                metadata: {},
                created_at: created
              }
            ],
            total: 1,
            page: 1,
            per_page: 20,
            pages: 1
          }
        }
      if (call.path === `/api/admin/users/${student.id}/queue?limit=20`) return { status: 200, body: [] }
      if (call.path === `/api/admin/users/${student.id}/templates`) return { status: 200, body: [] }
      return operatorRoutes(call)
    }
    renderWithService(<AdminPage />, handler, `/users/${student.id}`)
    expect(await screen.findByRole("heading", { name: `Emails of ${student.email}` })).toBeTruthy()
    expect((await screen.findByText("Ada Lovelace")).closest("li")?.textContent).toContain("discarded")
    expect(await screen.findByText("No jobs")).toBeTruthy()
    expect(await screen.findByText("No résumé templates")).toBeTruthy()
  })
})

describe("the template editor", () => {
  it("marks the placeholders, checks the server's rule as you type, and puts a 422's message at the editor", async () => {
    const handler: Handler = ({ method, path }) =>
      method === "GET" && path === "/api/templates/?limit=20&offset=0"
        ? { status: 200, body: [] }
        : method === "PATCH" && path === "/api/user/template"
          ? {
              status: 422,
              body: { detail: [{ loc: ["body", "template"], msg: "The server says no", type: "value_error" }] }
            }
          : { status: 404, body: { detail: "Not Found" } }
    renderWithService(<TemplatePage />, handler)
    const editor = await screen.findByLabelText("Email template")
    fireEvent.change(editor, { target: { value: "Dear professor, no placeholder at all." } })
    await waitFor(() => expect(editor.getAttribute("aria-invalid")).toBe("true"))
    expect(document.querySelectorAll("mark.placeholder")).toHaveLength(0)
    fireEvent.change(editor, { target: { value: "Dear {{name}}, about {{ research }}: hello." } })
    await waitFor(() => expect(document.querySelectorAll("mark.placeholder")).toHaveLength(2))
    expect(editor.getAttribute("aria-invalid")).toBe("false")
    fireEvent.click(screen.getByRole("button", { name: "Save template" }))
    await waitFor(() => expect(editor.getAttribute("aria-invalid")).toBe("true"))
    const described = (editor.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent)
      .join(" ")
    expect(described).toContain("The server says no")
  })
})
