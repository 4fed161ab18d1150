import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { consoleFixture, serverWithConsole } from "./ConsoleFixture"
import { call, callWithHeaders, jwtSecret } from "./TestServer"

const fixture = consoleFixture()
afterAll(fixture.remove)

describe("the console with Supabase configured", () => {
  it.layer(
    serverWithConsole(fixture.dir, {
      SUPABASE_JWT_SECRET: jwtSecret,
      SUPABASE_URL: "https://project.supabase.example",
      SUPABASE_ANON_KEY: "anon-key"
    })
  )((it) => {
    it.effect("gets its URL and anon key (public by design), may connect there, and has no local sign-in", () =>
      Effect.gen(function* () {
        const config = yield* call("GET", "/api/console/config")
        expect(config.body).toEqual({
          supabase: { url: "https://project.supabase.example", anon_key: "anon-key" },
          dev_sign_in: false
        })
        expect(yield* call("POST", "/api/dev/session", { json: {} })).toEqual({
          status: 404,
          body: { detail: "Not Found" }
        })
        const page = yield* callWithHeaders("GET", "/")
        expect(page.headers["content-security-policy"]).toContain(
          "connect-src 'self' https://project.supabase.example;"
        )
      })
    )
  })
})
