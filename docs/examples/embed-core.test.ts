import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { writeOne } from "./embed-core"

describe("docs/examples/embed-core.ts", () => {
  it.effect("writes an email through core with the embedder's own adapters", () =>
    Effect.gen(function* () {
      const email = yield* writeOne
      expect(email.emailMessage).toContain("Dear Grace Hopper")
      expect(email.emailMessage).toContain("Graph Colouring with Local Search")
      expect(email.emailMessage).not.toMatch(/\{\{/)
      expect(email.isConfident).toBe(false)
      expect(email.metadata).toMatchObject({ composer: "deterministic" })
    })
  )
})
