import { expect, layer } from "@effect/vitest"
import { PdfFetcher } from "@scribe/core/templates/PdfFetcher"
import { ConfigProvider, Effect, Layer } from "effect"
import * as SafePdfFetcher from "../src/scraper/SafePdfFetcher"
import * as Resumes from "../testkit/Resumes"
import { fresh, layer as worldLayer } from "../testkit/World"

const world = Layer.unwrapEffect(
  Effect.map(
    Effect.promise(() => Resumes.pagesFor()),
    (pages) => worldLayer({ pages })
  )
)

/** The fetcher as `layerConfig` builds it from this environment. */
const fromEnv = (env: Record<string, string>) =>
  Effect.flatMap(PdfFetcher, (fetcher) => Effect.succeed(fetcher)).pipe(
    Effect.provide(SafePdfFetcher.layerConfig),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

const refusal = (effect: Effect.Effect<unknown, { readonly kind: string; readonly message: string }>) =>
  Effect.map(Effect.flip(effect), (e) => ({ kind: e.kind, message: e.message }))

layer(world, { excludeTestServices: true })("SafePdfFetcher", (it) => {
  it.effect(
    "SCRIBE_ALLOW_PRIVATE_FETCH=true reaches the world on loopback; unset, loopback is refused unrequested",
    () =>
      Effect.gen(function* () {
        const w = yield* fresh
        const url = w.url(Resumes.Paths.resume)
        const open = yield* fromEnv({ SCRIBE_ALLOW_PRIVATE_FETCH: "true" })
        const pdf = yield* open.fetchPdf(url)
        expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe("%PDF-")
        expect(Buffer.from(pdf).equals(Buffer.from(yield* Effect.promise(() => Resumes.twoPageResume())))).toBe(true)
        w.reset()
        const guarded = yield* fromEnv({})
        expect(yield* refusal(guarded.fetchPdf(url))).toEqual({
          kind: "blocked",
          message: "the PDF URL is refused: 127.0.0.1 is a loopback address"
        })
        expect(w.web.requested()).toEqual([])
      })
  )

  it.effect("with private fetching off, a public name redirecting to a private address is refused at that hop", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const fetcher = yield* SafePdfFetcher.make({ allowPrivate: false, ...Resumes.publicSeams })
      expect(yield* refusal(fetcher.fetchPdf(Resumes.publicUrl(w.url, Resumes.Paths.redirectPrivate)))).toEqual({
        kind: "blocked",
        message: "the PDF URL is refused: 127.0.0.1 is a loopback address"
      })
      // the redirect was fetched (through the public name); its private target never was
      expect(w.web.requested()).toEqual([Resumes.Paths.redirectPrivate])
      const pdf = yield* fetcher.fetchPdf(Resumes.publicUrl(w.url, Resumes.Paths.resume))
      expect(pdf.byteLength).toBeGreaterThan(1000)
    })
  )

  it.effect("refuses what is not a PDF, what is too large (declared or streamed) and too many redirects", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const fetcher = yield* SafePdfFetcher.make({ allowPrivate: true })
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        [Resumes.Paths.html, "invalid_request", "the file is not a PDF"],
        ["/testkit/hidden", "invalid_request", "the PDF URL serves text/html, not a PDF"],
        [Resumes.Paths.huge, "blocked", "the PDF is larger than 10 MB"],
        [Resumes.Paths.hugeChunked, "blocked", "the PDF is larger than 10 MB"],
        ["/testkit/redirect/chain/6", "blocked", "the PDF URL redirects more than 5 times"],
        [Resumes.Paths.missing, "not_found", "the PDF URL answered HTTP 404"]
      ]
      for (const [path, kind, message] of cases) {
        expect(yield* refusal(fetcher.fetchPdf(w.url(path)))).toEqual({ kind, message })
      }
      expect(yield* refusal(fetcher.fetchPdf("file:///etc/passwd"))).toEqual({
        kind: "blocked",
        message: "file: URLs are not fetched, only http and https"
      })
    })
  )

  it.effect("a small cap is enforced while the body streams, not after", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const fetcher = yield* SafePdfFetcher.make({ allowPrivate: true, maxBytes: 1000 })
      expect(yield* refusal(fetcher.fetchPdf(w.url(Resumes.Paths.resume)))).toEqual({
        kind: "blocked",
        message: "the PDF is larger than 1000 bytes"
      })
    })
  )
})
