import { types } from "node:util"
import { Unauthenticated } from "@scribe/core/auth/TokenVerifier"
import { TaskNotFound } from "@scribe/core/jobs/Job"
import { describe, expect, it } from "vitest"
import { createScribeClient, isScribeError, ScribeAborted, type ScribeError } from "../src/PromiseClient"

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

/** A fetch double answering by path; records the requests and their signals. */
const fakeFetch = (answer: (path: string) => Response | "hang") => {
  const seen: Array<{ readonly path: string; readonly signal: AbortSignal | null | undefined }> = []
  const fetch: typeof globalThis.fetch = (input, init) => {
    const path = new URL(input instanceof Request ? input.url : input.toString()).pathname
    seen.push({ path, signal: init?.signal })
    const reply = answer(path)
    if (reply !== "hang") return Promise.resolve(reply)
    return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)))
  }
  return { fetch, seen }
}

const describeError = (error: ScribeError): string => {
  switch (error._tag) {
    case "Unauthenticated":
      return `sign in again (${error.reason})`
    case "TaskNotFound":
      return "gone"
    default:
      return error._tag
  }
}

describe("createScribeClient", () => {
  it("rejects with the typed error itself (not a proxy), which a switch on _tag narrows", async () => {
    const { fetch } = fakeFetch((path) =>
      path.startsWith("/api/email/status/")
        ? json(404, { detail: "Task not found" })
        : json(401, { detail: "Token expired" })
    )
    const scribe = createScribeClient({ baseUrl: "https://scribe.test", getToken: () => "t", fetch })
    const unauthenticated = await scribe.listQueue().catch((e: unknown) => e)
    expect(unauthenticated).toBeInstanceOf(Unauthenticated)
    expect(types.isProxy(unauthenticated)).toBe(false)
    expect(isScribeError(unauthenticated) && describeError(unauthenticated)).toBe("sign in again (Token expired)")
    const notFound = await scribe.status("t-1").catch((e: unknown) => e)
    expect(notFound).toBeInstanceOf(TaskNotFound)
    expect(notFound).toMatchObject({ id: "t-1" })
    expect(isScribeError(new Error("other"))).toBe(false)
    await scribe.dispose()
  })

  it("abort interrupts an in-flight request: the fetch sees the abort, the call rejects with ScribeAborted", async () => {
    const { fetch, seen } = fakeFetch(() => "hang")
    const scribe = createScribeClient({ baseUrl: "https://scribe.test", getToken: () => "t", fetch })
    const controller = new AbortController()
    const pending = scribe.listQueue({ signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 20))
    controller.abort()
    const error = await pending.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScribeAborted)
    expect(error).toMatchObject({ name: "AbortError", _tag: "ScribeAborted" })
    expect(seen).toHaveLength(1)
    expect(seen[0]?.signal?.aborted).toBe(true)
    await scribe.dispose()
  })

  it("aborting a watch ends the iteration with ScribeAborted", async () => {
    const { fetch, seen } = fakeFetch(() => json(200, { task_id: "t", status: "PENDING", result: null, error: null }))
    const scribe = createScribeClient({ baseUrl: "https://scribe.test", getToken: () => "t", fetch, pollIntervalMs: 5 })
    const controller = new AbortController()
    const statuses: Array<string> = []
    const error = await (async () => {
      for await (const status of scribe.watchTask("t", { signal: controller.signal })) {
        statuses.push(status.status)
        if (statuses.length === 3) controller.abort()
      }
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScribeAborted)
    expect(statuses).toEqual(["PENDING", "PENDING", "PENDING"])
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(seen).toHaveLength(3)
    await scribe.dispose()
  })
})
