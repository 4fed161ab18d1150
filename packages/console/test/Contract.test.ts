import { describe, expect, it } from "vitest"
import { findRoute, hasRoute } from "../src/api/Contract"

describe("finding a route in the contract the console was built with", () => {
  it("locates an endpoint by method and path, with or without a trailing slash", () => {
    expect(findRoute("GET", "/api/usage/")).toEqual({ group: "usage", endpoint: "get", topLevel: false })
    expect(findRoute("GET", "/api/usage")).toEqual(findRoute("GET", "/api/usage/"))
    expect(findRoute("DELETE", "/api/queue/:queue_item_id")).toEqual({
      group: "queue",
      endpoint: "cancel",
      topLevel: false
    })
    expect(findRoute("GET", "/health")).toEqual({ group: "health", endpoint: "health", topLevel: true })
  })

  it("answers nothing for a route the contract does not have, or the wrong method", () => {
    expect(findRoute("GET", "/api/nothing/here")).toBeUndefined()
    expect(hasRoute("POST", "/api/usage/")).toBe(false)
    expect(hasRoute("PATCH", "/api/email/:email_id")).toBe(true)
  })
})
