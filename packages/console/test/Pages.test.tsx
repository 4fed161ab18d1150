// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { queueInterval } from "../src/lib/Polling"
import { BatchPage } from "../src/pages/BatchPage"
import { ComposePage } from "../src/pages/ComposePage"
import { QueuePage } from "../src/pages/QueuePage"
import { type Handler, queueItem, renderWithService } from "./Harness"

const template = "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam"

beforeEach(() => localStorage.setItem("scribe.template.00000000-0000-4000-8000-000000000001", template))
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  vi.useRealTimers()
  localStorage.clear()
  sessionStorage.clear()
})

describe("a 422 is shown at its field, with the server's message", () => {
  it("puts each `loc` at the control it names and says nothing at the others", async () => {
    const handler: Handler = ({ path }) =>
      path === "/api/email/generate"
        ? {
            status: 422,
            body: {
              detail: [
                {
                  loc: ["body", "recipient_interest"],
                  msg: "Value error, interest is on the server's list",
                  type: "value_error"
                }
              ]
            }
          }
        : { status: 404, body: { detail: "Not Found" } }
    renderWithService(<ComposePage />, handler)
    fireEvent.change(await screen.findByLabelText("Professor's name"), { target: { value: "Grace Hopper" } })
    fireEvent.change(screen.getByLabelText("Their research interest"), { target: { value: "compilers" } })
    fireEvent.click(screen.getByRole("button", { name: "Write the email" }))
    const interest = screen.getByLabelText("Their research interest")
    await waitFor(() => expect(interest.getAttribute("aria-invalid")).toBe("true"))
    const describedBy = interest.getAttribute("aria-describedby") ?? ""
    const message = describedBy
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent)
      .join(" ")
    expect(message).toContain("Value error, interest is on the server's list")
    expect(screen.getByLabelText("Professor's name").getAttribute("aria-invalid")).toBe("false")
  })

  it("checks the server's own rules before sending, and sends nothing while they fail", async () => {
    const { calls } = renderWithService(<ComposePage />, () => ({
      status: 500,
      body: { detail: "Internal Server Error" }
    }))
    fireEvent.change(await screen.findByLabelText("Professor's name"), { target: { value: "G" } })
    fireEvent.change(screen.getByLabelText("Their research interest"), { target: { value: "compilers" } })
    fireEvent.click(screen.getByRole("button", { name: "Write the email" }))
    expect(await screen.findByText("String should have at least 2 characters")).toBeTruthy()
    expect(calls.filter((c) => c.path.startsWith("/api/email"))).toEqual([])
  })
})

describe("the batch import", () => {
  it("previews pasted lines with a duplicate skipped, and shows the server's per-row 422 at its row", async () => {
    const handler: Handler = ({ path }) =>
      path === "/api/queue/batch"
        ? {
            status: 422,
            body: {
              detail: [
                {
                  loc: ["body", "items", 1, "recipient_name"],
                  msg: "Value error, not a real name",
                  type: "value_error"
                }
              ]
            }
          }
        : { status: 404, body: { detail: "Not Found" } }
    const { calls } = renderWithService(<BatchPage />, handler)
    fireEvent.change(await screen.findByLabelText("Paste lines"), {
      target: { value: "Grace Hopper, compilers\nAlan Turing, computability\ngrace hopper, COBOL" }
    })
    expect(screen.getByText(/to send/).textContent).toBe("2 to send · 1 duplicate skipped")
    expect(screen.getByText("Duplicate of row 1 — skipped")).toBeTruthy()
    fireEvent.click(screen.getByRole("button", { name: "Queue 2 emails" }))
    expect(await screen.findByText("recipient_name: Value error, not a real name")).toBeTruthy()
    const sent = calls.find((c) => c.path === "/api/queue/batch")?.body as { items: Array<{ recipient_name: string }> }
    expect(sent.items.map((i) => i.recipient_name)).toEqual(["Grace Hopper", "Alan Turing"])
    // the row the 422 names (items[1]) is Alan Turing's, row 2 of the paste
    const row = screen.getByText("recipient_name: Value error, not a real name").closest("tr")
    expect(row?.textContent).toContain("Alan Turing")
  })
})

describe("queue polling", () => {
  it("polls every 2 s while something is active and stops once nothing is", async () => {
    expect(queueInterval(undefined)).toBe(false)
    expect(queueInterval([])).toBe(false)
    vi.useFakeTimers({ shouldAdvanceTime: true })
    let listed = 0
    const handler: Handler = ({ path }) => {
      if (path.replace(/\/$/, "") !== "/api/queue") return { status: 404, body: { detail: "Not Found" } }
      listed++
      const status = listed < 3 ? "processing" : "completed"
      return {
        status: 200,
        body: [queueItem({ status, position: null, email_id: status === "completed" ? crypto.randomUUID() : null })]
      }
    }
    renderWithService(<QueuePage />, handler)
    expect(await screen.findByText(/1 email in progress/)).toBeTruthy()
    expect(queueInterval([queueItem()] as never)).toBe(2000)
    await act(() => vi.advanceTimersByTimeAsync(2000))
    await waitFor(() => expect(listed).toBe(2))
    await act(() => vi.advanceTimersByTimeAsync(2000))
    expect(await screen.findByText("Nothing in progress.")).toBeTruthy()
    expect(listed).toBe(3)
    await act(() => vi.advanceTimersByTimeAsync(20_000))
    expect(listed).toBe(3)
  })
})
