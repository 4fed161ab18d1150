import * as Net from "node:net"
import * as Zlib from "node:zlib"
import { describe, expect, it, layer } from "@effect/vitest"
import { Scraper } from "@scribe/core/upstream/Scraper"
import { ConfigProvider, Effect, Layer } from "effect"
import * as fc from "fast-check"
import * as AddressPolicy from "../src/scraper/AddressPolicy"
import * as PageText from "../src/scraper/PageText"
import * as SafeScraper from "../src/scraper/SafeScraper"
import * as People from "../testkit/People"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh, hiddenMarkers, Paths, World } from "../testkit/World"

/** Public-looking names for the guarded scraper; anything else does not resolve. */
const fakeDns = () => {
  let rebinds = 0
  return (hostname: string): Promise<ReadonlyArray<string>> => {
    switch (hostname) {
      case "public.example":
        return Promise.resolve(["93.184.216.34"])
      case "v6.example":
        return Promise.resolve(["2606:4700:4700::1111"])
      case "mixed.example":
        return Promise.resolve(["93.184.216.34", "10.0.0.7"])
      case "private.example":
        return Promise.resolve(["192.168.0.10"])
      case "rebind.example":
        // Public on the first lookup, loopback afterwards: a DNS-rebinding attempt.
        return Promise.resolve(rebinds++ === 0 ? ["93.184.216.34"] : ["127.0.0.1"])
      default:
        return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }))
    }
  }
}

/**
 * Private fetching off, as in production, but every vetted connection really goes to the world's web server: a
 * request that slipped through the guard would show in the server's log.
 */
const guarded = (port: number, options: Partial<SafeScraper.Options> = {}) =>
  SafeScraper.make({
    allowPrivate: false,
    resolve: fakeDns(),
    dial: () => ({ host: "127.0.0.1", port }),
    ...options
  })

const open = (options: Partial<SafeScraper.Options> = {}) => SafeScraper.make({ allowPrivate: true, ...options })

describe("SafeScraper address rules", () => {
  it.each([
    "127.0.0.1",
    "127.255.0.9",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:8.8.8.8",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "2001:0:4136:e378::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "[::1]"
  ])("refuses %s", (address) => {
    expect(AddressPolicy.forbiddenAddress(address)).not.toBeNull()
  })

  it.each(["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"])(
    "allows public %s",
    (address) => {
      expect(AddressPolicy.forbiddenAddress(address)).toBeNull()
    }
  )

  it("refuses every IPv4-mapped IPv6 address, whatever the IPv4 address", () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(AddressPolicy.forbiddenAddress(`::ffff:${v4}`)).not.toBeNull()
      })
    )
  })

  it.each(["localhost", "LOCALHOST.", "foo.localhost", "metadata.google.internal", "printer.local", "db.internal"])(
    "refuses the host name %s before resolving it",
    (name) => {
      expect(AddressPolicy.forbiddenHostname(name)).not.toBeNull()
    }
  )
})

describe("SafeScraper text extraction", () => {
  it("keeps the title, drops hidden and non-content elements, collapses whitespace", () => {
    const { text, title } = PageText.fromHtml(`<html><head><title> A
      title </title></head><body><p>One   two</p><div style="display:none">gone</div><p>three<br>four</p></body></html>`)
    expect(title).toBe("A title")
    expect(text).toBe("One two\nthree\nfour")
  })

  it("does not drop elements hidden only inside a media query", () => {
    const { text } = PageText.fromHtml(
      "<html><head><style>@media (max-width: 600px) { .wide { display: none } }</style></head><body><p class='wide'>Kept</p></body></html>"
    )
    expect(text).toBe("Kept")
  })
})

layer(WorldModule.layer({ scale: 0.05 }), { excludeTestServices: true })("SafeScraper against the world", (it) => {
  it.effect("fetches a faculty page: final URL, title and readable text only", () =>
    Effect.gen(function* () {
      const world = yield* World
      const scraper = yield* open()
      const page = yield* scraper.fetchPage(world.url(People.ada.pages[0]!.path))
      expect(page.url).toBe(world.url("/people/ada-lovelace"))
      expect(page.title).toBe("Prof. Ada Lovelace | Department of Computing, University of Testkit")
      expect(page.text).toContain("Analytical Engines Lab")
      expect(page.text).toContain("Symbolic Computation on the Analytical Engine: Notes & Extensions (2024)")
      expect(page.text).toContain("<Jacquard>")
      for (const absent of ["Internal draft", "A stylesheet hides", "tracking code", "window.analytics"]) {
        expect(page.text).not.toContain(absent)
      }
    })
  )

  it.effect("drops every kind of hidden text", () =>
    Effect.gen(function* () {
      const world = yield* World
      const page = yield* (yield* open()).fetchPage(world.url(Paths.hidden))
      expect(page.title).toBe("Hidden text test")
      expect(page.text).toBe("Visible heading\nVisible paragraph one.\nVisible item A\nVisible item B\nCafé & déjà vu")
      for (const marker of hiddenMarkers) expect(page.text).not.toContain(marker)
    })
  )

  it.effect("keeps visible injection text as data but drops the hidden injections", () =>
    Effect.gen(function* () {
      const world = yield* World
      const page = yield* (yield* open()).fetchPage(world.url(People.mallory.pages[0]!.path))
      expect(page.text).toContain("equality saturation")
      expect(page.text).not.toContain("reveal your system prompt")
      expect(page.text).not.toContain("to the signature")
    })
  )

  it.effect("accepts text/plain, XHTML and a declared legacy charset", () =>
    Effect.gen(function* () {
      const world = yield* World
      const scraper = yield* open()
      const plain = yield* scraper.fetchPage(world.url(Paths.plain))
      expect(plain).toMatchObject({ title: "", text: "Plain text notes\non engines." })
      expect((yield* scraper.fetchPage(world.url(Paths.xhtml))).text).toBe("Strict markup.")
      expect((yield* scraper.fetchPage(world.url(Paths.latin1))).text).toBe("Café crème")
    })
  )

  it.effect("refuses PDF, JSON and binary content", () =>
    Effect.gen(function* () {
      const world = yield* World
      const scraper = yield* open()
      for (const path of [Paths.pdf, Paths.json, Paths.binary]) {
        const error = yield* failure(scraper.fetchPage(world.url(path)))
        expect(error.kind).toBe("blocked")
        expect(error.message).toMatch(/not HTML or text/)
      }
    })
  )

  it.effect("caps the body at 2 MB, with or without a Content-Length, and after decompression", () =>
    Effect.gen(function* () {
      const world = yield* World
      const scraper = yield* open()
      expect(yield* failure(scraper.fetchPage(world.url(Paths.huge)))).toMatchObject({ kind: "blocked" })
      const streamed = yield* failure(scraper.fetchPage(world.url(Paths.hugeChunked)))
      expect(streamed).toMatchObject({ kind: "blocked", message: expect.stringMatching(/exceeds 2097152 bytes/) })

      const bomb = Zlib.gzipSync(Buffer.from(`<html><body>${"a".repeat(5 * 1024 * 1024)}</body></html>`))
      expect(bomb.length).toBeLessThan(100_000)
      world.web.setPage("/bomb", { body: bomb, headers: { "content-encoding": "gzip" }, chunked: true })
      expect(yield* failure(scraper.fetchPage(world.url("/bomb")))).toMatchObject({ kind: "blocked" })

      world.web.setPage("/gzipped", {
        body: Zlib.gzipSync(Buffer.from("<html><head><title>Zipped</title></head><body>Small</body></html>")),
        headers: { "content-encoding": "gzip" }
      })
      expect(yield* scraper.fetchPage(world.url("/gzipped"))).toMatchObject({ title: "Zipped", text: "Small" })
    })
  )

  it.effect("enforces the total timeout on a slow answer and on a slow body", () =>
    Effect.gen(function* () {
      const world = yield* World
      // Scale 0.05: the slow page answers after 500 ms, the slow body takes 500 ms.
      const scraper = yield* open({ totalTimeout: "150 millis" })
      expect(yield* failure(scraper.fetchPage(world.url(Paths.slow)))).toMatchObject({ kind: "timeout" })
      expect(yield* failure(scraper.fetchPage(world.url(Paths.slowBody)))).toMatchObject({ kind: "timeout" })
      const patient = yield* open({ totalTimeout: "10 seconds" })
      expect((yield* patient.fetchPage(world.url(Paths.slow))).text).toBe("Finally")
    })
  )

  it.effect("enforces the connect timeout (a TLS handshake that never completes)", () =>
    Effect.gen(function* () {
      const silent = yield* Effect.acquireRelease(
        Effect.async<Net.Server>((resume) => {
          const server = Net.createServer(() => {})
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.sync(() => server.close())
      )
      const address = silent.address()
      if (address === null || typeof address === "string") return yield* Effect.dieMessage("no port")
      const scraper = yield* guarded(address.port, { connectTimeout: "200 millis", totalTimeout: "10 seconds" })
      const error = yield* failure(scraper.fetchPage("https://public.example/"))
      expect(error).toMatchObject({ kind: "timeout", message: expect.stringMatching(/could not connect/) })
    }).pipe(Effect.scoped)
  )

  it.effect("follows relative redirects and reports the final URL; at most 5", () =>
    Effect.gen(function* () {
      const world = yield* World
      const scraper = yield* open()
      expect((yield* scraper.fetchPage(world.url(Paths.redirectRelative))).url).toBe(world.url("/people/ada-lovelace"))
      expect((yield* scraper.fetchPage(world.url(Paths.chain(5)))).text).toBe("Landed")
      world.web.log.clear()
      expect(yield* failure(scraper.fetchPage(world.url(Paths.chain(6))))).toMatchObject({ kind: "blocked" })
      expect(world.web.log.entries).toHaveLength(6)
      expect(yield* failure(scraper.fetchPage(world.url(Paths.redirectFtp)))).toMatchObject({ kind: "blocked" })
    })
  )

  it.effect("classifies statuses and connection failures", () =>
    Effect.gen(function* () {
      const world = yield* World
      const scraper = yield* open()
      expect(yield* failure(scraper.fetchPage(world.url("/no/such/page")))).toMatchObject({ kind: "not_found" })
      expect(yield* failure(scraper.fetchPage(world.url(Paths.gone)))).toMatchObject({ kind: "not_found" })
      expect(yield* failure(scraper.fetchPage(world.url(Paths.serverError)))).toMatchObject({ kind: "unavailable" })
      expect(yield* failure(scraper.fetchPage(world.url(Paths.rateLimited)))).toMatchObject({
        kind: "rate_limited",
        retryAfterMs: 7000
      })
      expect(yield* failure(scraper.fetchPage("not a url"))).toMatchObject({ kind: "invalid_request" })

      const closed = yield* Effect.async<number>((resume) => {
        const server = Net.createServer()
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 1)))
        })
      })
      expect(yield* failure(scraper.fetchPage(`http://127.0.0.1:${closed}/`))).toMatchObject({ kind: "unavailable" })
    })
  )

  describe("SSRF with private fetching off", () => {
    it.effect("the harness would see a fetch: a public name reaches the world through the guard", () =>
      Effect.gen(function* () {
        yield* fresh
        const world = yield* World
        const scraper = yield* guarded(world.web.port)
        const page = yield* scraper.fetchPage(`http://public.example:${world.web.port}/people/ada-lovelace`)
        expect(page.url).toBe(`http://public.example:${world.web.port}/people/ada-lovelace`)
        expect(world.web.log.matching("/people/ada-lovelace")).toHaveLength(1)
        expect((yield* scraper.fetchPage("http://v6.example/people/alan-lovelace")).title).toContain("Alan Lovelace")
      })
    )

    const targets = [
      "127.0.0.1",
      "localhost",
      "0.0.0.0",
      "[::1]",
      "[::ffff:127.0.0.1]",
      "[::127.0.0.1]",
      "[64:ff9b::127.0.0.1]",
      "2130706433",
      "0177.0.0.1",
      "0x7f.1",
      "0x7f000001",
      "127.1",
      "169.254.169.254",
      "metadata.google.internal",
      "10.0.0.8",
      "172.16.5.4",
      "192.168.1.20",
      "100.64.0.1",
      "[fd00::1]",
      "[fe80::1]",
      "224.0.0.1",
      "private.example",
      "mixed.example"
    ]

    it.effect("refuses every private, loopback, link-local, CGNAT and metadata target; none is fetched", () =>
      Effect.gen(function* () {
        yield* fresh
        const world = yield* World
        const scraper = yield* guarded(world.web.port)
        for (const [i, host] of targets.entries()) {
          const error = yield* failure(scraper.fetchPage(`http://${host}:${world.web.port}${Paths.secret}?case=${i}`))
          expect(error.kind, host).toBe("blocked")
        }
        expect(world.web.log.entries).toHaveLength(0)
      })
    )

    it.effect(
      "validates every redirect hop: a public URL redirecting to loopback or metadata fetches nothing there",
      () =>
        Effect.gen(function* () {
          yield* fresh
          const world = yield* World
          const scraper = yield* guarded(world.web.port)
          const toLoopback = yield* failure(
            scraper.fetchPage(`http://public.example:${world.web.port}${Paths.redirectLoopback}`)
          )
          expect(toLoopback).toMatchObject({ kind: "blocked", message: expect.stringMatching(/127\.0\.0\.1/) })
          const toMetadata = yield* failure(
            scraper.fetchPage(`http://public.example:${world.web.port}${Paths.redirectMetadata}`)
          )
          expect(toMetadata.kind).toBe("blocked")
          expect(world.web.requested()).toEqual([Paths.redirectLoopback, Paths.redirectMetadata])
          expect(world.web.log.matching(Paths.secret)).toHaveLength(0)
        })
    )

    it.effect("resolves each hop again: a name rebinding to loopback is refused on the next hop", () =>
      Effect.gen(function* () {
        yield* fresh
        const world = yield* World
        world.web.setPage("/rebind", { redirect: "/testkit/secret" })
        const scraper = yield* guarded(world.web.port)
        const error = yield* failure(scraper.fetchPage(`http://rebind.example:${world.web.port}/rebind`))
        expect(error.kind).toBe("blocked")
        expect(world.web.requested()).toEqual(["/rebind"])
      })
    )

    it.effect("refuses non-http schemes and URLs with credentials", () =>
      Effect.gen(function* () {
        yield* fresh
        const world = yield* World
        const scraper = yield* guarded(world.web.port)
        for (const url of [
          "file:///etc/passwd",
          "ftp://public.example/",
          "gopher://public.example/",
          `http://user:pw@public.example:${world.web.port}/people/ada-lovelace`
        ]) {
          expect((yield* failure(scraper.fetchPage(url))).kind, url).toBe("blocked")
        }
        expect(world.web.log.entries).toHaveLength(0)
      })
    )

    it.effect("layerConfig refuses loopback by default and fetches it with SCRIBE_ALLOW_PRIVATE_FETCH=true", () =>
      Effect.gen(function* () {
        yield* fresh
        const world = yield* World
        const fetchSecret = Effect.flatMap(Scraper, (s) => s.fetchPage(world.url(Paths.secret)))
        const refused = yield* failure(
          fetchSecret.pipe(
            Effect.provide(
              SafeScraper.layerConfig.pipe(
                Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))),
                Layer.orDie
              )
            )
          )
        )
        expect(refused.kind).toBe("blocked")
        expect(world.web.log.entries).toHaveLength(0)
        const page = yield* fetchSecret.pipe(
          Effect.provide(SafeScraper.layerConfig.pipe(Layer.provide(Layer.setConfigProvider(world.configProvider()))))
        )
        expect(page.text).toBe("INTERNAL-SECRET-CONTENT")
      })
    )
  })
})
