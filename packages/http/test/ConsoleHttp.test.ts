import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { isLoopbackAddress, isLoopbackHost, isLoopbackOrigin } from "../src/DevSession"
import { consoleFixture, indexHtml, script, serverWithConsole } from "./ConsoleFixture"
import { call, callWithHeaders } from "./TestServer"

const fixture = consoleFixture()
afterAll(fixture.remove)

const devDefault = serverWithConsole(fixture.dir, { SCRIBE_DATA_DIR: "memory" })

describe("the console's files", () => {
  it.layer(devDefault)((it) => {
    it.effect("serves index.html revalidated, with a CSP that allows only this origin", () =>
      Effect.gen(function* () {
        const page = yield* callWithHeaders("GET", "/")
        expect(page.status).toBe(200)
        expect(page.body).toBe(indexHtml)
        expect(page.headers["cache-control"]).toBe("no-cache")
        expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
        expect(page.headers["content-security-policy"]).toContain("default-src 'self'")
        expect(page.headers["content-security-policy"]).toContain("connect-src 'self';")
        expect(page.headers["x-content-type-options"]).toBe("nosniff")
        const again = yield* callWithHeaders("GET", "/", { headers: { "if-none-match": String(page.headers.etag) } })
        expect(again.status).toBe(304)
      })
    )

    it.effect("serves hashed assets as immutable, gzipped when the client accepts it", () =>
      Effect.gen(function* () {
        const plain = yield* callWithHeaders("GET", "/assets/index-AbC123.js", {
          headers: { "accept-encoding": "identity" }
        })
        expect(plain.status).toBe(200)
        expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
        expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8")
        expect(plain.headers["content-encoding"]).toBeUndefined()
        expect(plain.body).toBe(script)
        const gzipped = yield* callWithHeaders("GET", "/assets/index-AbC123.js", {
          headers: { "accept-encoding": "gzip" }
        })
        expect(gzipped.headers["content-encoding"]).toBe("gzip")
        expect(Number(gzipped.headers["content-length"])).toBeLessThan(script.length / 10)
        const favicon = yield* callWithHeaders("GET", "/favicon.svg")
        expect(favicon.headers["cache-control"]).toBe("no-cache")
        expect(favicon.headers["content-type"]).toBe("image/svg+xml")
      })
    )

    it.effect("answers a console page with index.html, and a missing file or a dot-file with 404", () =>
      Effect.gen(function* () {
        for (const path of ["/queue", "/emails/5f1c", "/admin/users/x", "/healthy", "/documents"]) {
          const reply = yield* call("GET", path)
          expect([path, reply.status, reply.body]).toEqual([path, 200, indexHtml])
        }
        for (const path of ["/assets/missing.js", "/missing.png", "/.build-stamp", "/.git/config"]) {
          expect([path, (yield* call("GET", path)).status]).toEqual([path, 404])
        }
      })
    )

    it.effect("never shadows the API, its documents or the operators' endpoints", () =>
      Effect.gen(function* () {
        for (const path of ["/api/nope", "/api/email/x/y/z", "/api", "/docs/x", "/health/x", "/metrics/x"]) {
          expect([path, yield* call("GET", path)]).toEqual([path, { status: 404, body: { detail: "Not Found" } }])
        }
        expect((yield* call("GET", "/api/queue/")).status).toBe(401)
        expect((yield* call("GET", "/health")).status).toBe(200)
        expect((yield* callWithHeaders("GET", "/openapi.json")).headers["content-type"]).toContain("application/json")
        expect((yield* callWithHeaders("GET", "/docs")).headers["content-type"]).toContain("text/html")
      })
    )
  })
})

describe("the console's settings and the local sign-in", () => {
  it.layer(devDefault)((it) => {
    it.effect("with the dev secret: offered to a loopback page, and its token works", () =>
      Effect.gen(function* () {
        const config = yield* call("GET", "/api/console/config")
        expect(config).toEqual({ status: 200, body: { supabase: null, dev_sign_in: true } })
        const session = yield* callWithHeaders("POST", "/api/dev/session", {
          json: {},
          headers: { origin: "http://localhost:8000" }
        })
        expect(session.status).toBe(200)
        expect(session.headers["cache-control"]).toBe("no-store")
        const body = session.body as { access_token: string; user: { id: string; email: string } }
        expect(body.user).toEqual({ id: "00000000-0000-4000-8000-000000000001", email: "dev@localhost" })
        expect((yield* call("GET", "/api/queue/", { token: body.access_token })).status).toBe(200)
      })
    )

    it.effect("refuses a foreign Host (DNS rebinding), a foreign Origin and a proxied request, as if absent", () =>
      Effect.gen(function* () {
        const refused = [
          { host: "evil.example:8000" },
          { host: "127.0.0.1.evil.example" },
          { origin: "http://evil.example" },
          { origin: "null" },
          { "x-forwarded-for": "203.0.113.9" },
          { forwarded: "for=203.0.113.9" }
        ]
        for (const headers of refused) {
          const reply = yield* call("POST", "/api/dev/session", { json: {}, headers })
          expect([headers, reply]).toEqual([headers, { status: 404, body: { detail: "Not Found" } }])
        }
        const config = yield* call("GET", "/api/console/config", { headers: { host: "evil.example" } })
        expect(config.body).toEqual({ supabase: null, dev_sign_in: false })
      })
    )
  })
})

describe("what counts as this machine", () => {
  it("loopback addresses, hosts and origins", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
      expect([a, isLoopbackAddress(a)]).toEqual([a, true])
    for (const a of ["10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "0.0.0.0", "::", "128.0.0.1", "fe80::1"]) {
      expect([a, isLoopbackAddress(a)]).toEqual([a, false])
    }
    for (const h of ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "app.localhost", "LOCALHOST"]) {
      expect([h, isLoopbackHost(h)]).toEqual([h, true])
    }
    for (const h of ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "[::2]", "", "localhost:x"]) {
      expect([h, isLoopbackHost(h)]).toEqual([h, false])
    }
    expect(isLoopbackOrigin("http://127.0.0.1:5173")).toBe(true)
    expect(isLoopbackOrigin("https://localhost")).toBe(true)
    expect(isLoopbackOrigin("null")).toBe(false)
    expect(isLoopbackOrigin("file://")).toBe(false)
    expect(isLoopbackOrigin("http://evil.example")).toBe(false)
  })
})
