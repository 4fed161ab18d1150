import * as Metrics from "@scribe/core/ops/Metrics"
import { maxPdfBytes, PdfFetcher } from "@scribe/core/templates/PdfFetcher"
import { looksLikePdf } from "@scribe/core/templates/PdfText"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { type ConfigError, type Context, Duration, Effect, Layer } from "effect"
import type * as PlainHttp from "../upstream/PlainHttp"
import * as AddressPolicy from "./AddressPolicy"
import { connectTarget, done, follow, type Hop, isRedirect, redirect } from "./Redirects"
import * as SafeFetch from "./SafeFetch"
import { networkFailure } from "./SafeScraper"

/** `maxBytes` defaults to 10 MB (`maxPdfBytes`), `totalTimeout` to 30 s. */
export type Options = SafeFetch.Options

/** What servers label PDFs with; anything else (HTML, text, images) is refused before its body is read. */
const pdfContentTypes = new Set([
  "application/pdf",
  "application/x-pdf",
  "application/acrobat",
  "application/octet-stream",
  "binary/octet-stream",
  "application/download",
  "application/force-download",
  ""
])

// Messages complete "Template generation failed: …".
const failure = (kind: UpstreamFailure, message: string) =>
  new UpstreamError({ service: "page", kind, message, retryAfterMs: null })

const statusFailure = (status: number): UpstreamError => {
  const message = `the PDF URL answered HTTP ${status}`
  if (status === 404 || status === 410) return failure("not_found", message)
  if (status === 408) return failure("timeout", message)
  if (status === 429) return failure("rate_limited", message)
  if (status >= 500) return failure("unavailable", message)
  return failure("blocked", message)
}

const wording: AddressPolicy.Wording = {
  scheme: (url) => `${url.protocol} URLs are not fetched, only http and https`,
  refused: (_url, reason) => `the PDF URL is refused: ${reason}`
}

const contentTypeOf = (head: PlainHttp.Head) =>
  (head.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? ""

const contentEncodingOf = (head: PlainHttp.Head) =>
  (head.headers["content-encoding"] ?? "identity").trim().toLowerCase()

/** Only a successful answer that says it is an unencoded PDF has its body read. */
const wanted = (head: PlainHttp.Head): boolean =>
  head.status >= 200 &&
  head.status < 300 &&
  pdfContentTypes.has(contentTypeOf(head)) &&
  contentEncodingOf(head) === "identity"

/** A PDF is fetched once per template: no connection is worth keeping past its redirects. */
const idleConnectionMs = 1_000

/**
 * Builds a `PdfFetcher`: SafeScraper's address policy (every hop's resolved addresses vetted, no private, loopback,
 * link-local, metadata or IPv4-embedding targets unless `allowPrivate`), for PDFs: PDF-like content types only, the
 * body capped at `maxBytes` while it streams, and the `%PDF-` signature required.
 */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<PdfFetcher>> =>
  Effect.sync(() => {
    const maxBytes = options.maxBytes ?? maxPdfBytes
    const megabytes = maxBytes / (1024 * 1024)
    const tooLarge = `the PDF is larger than ${Number.isInteger(megabytes) ? `${megabytes} MB` : `${maxBytes} bytes`}`
    const { maxRedirects, connectTimeoutMs, totalTimeout, addressFor, client } = SafeFetch.make(options, {
      totalTimeout: "30 seconds",
      idleConnectionMs,
      wording
    })

    const transportFailure = (error: PlainHttp.PlainHttpError, url: URL): UpstreamError => {
      switch (error.reason) {
        // The whole fetch is bounded outside `send`: its own timeout is the connection's.
        case "timeout":
          return failure("timeout", `${url.host} could not be reached within ${connectTimeoutMs} ms`)
        case "too_large":
          return failure("blocked", tooLarge)
        case "response":
          return error.cause === undefined
            ? failure("unavailable", `${url.host} closed the connection mid-body`)
            : networkFailure(error.cause, url.href)
        case "request":
          return networkFailure(error.cause ?? error, url.href)
      }
    }

    const hop = (url: URL, address: string): Effect.Effect<Hop<Buffer>, UpstreamError> =>
      Effect.gen(function* () {
        const reply = yield* client
          .send({
            url,
            headers: {
              "user-agent": "ScribeBot/1.0 (résumé template; fetched once at the student's request)",
              accept: "application/pdf,application/octet-stream;q=0.5"
            },
            connectTo: connectTarget(url, address, options.dial),
            timeoutMs: null,
            connectTimeoutMs,
            maxBodyBytes: maxBytes,
            readBody: (head) => !isRedirect(head) && wanted(head)
          })
          .pipe(Effect.mapError((error) => transportFailure(error, url)))
        if (isRedirect(reply)) return redirect(String(reply.headers.location))
        if (reply.status < 200 || reply.status >= 300) return yield* statusFailure(reply.status)
        const type = contentTypeOf(reply)
        if (!pdfContentTypes.has(type))
          return yield* failure("invalid_request", `the PDF URL serves ${type}, not a PDF`)
        const encoding = contentEncodingOf(reply)
        if (encoding !== "identity") {
          return yield* failure("invalid_request", `the PDF URL sent a ${encoding}-encoded body, not a PDF`)
        }
        return done(reply.body)
      })

    const fetchPdf = Effect.fn("SafePdfFetcher.fetchPdf")(
      function* (href: string) {
        if (!URL.canParse(href)) return yield* failure("invalid_request", "the PDF URL is not a valid URL")
        const url = new URL(href)
        yield* Effect.annotateCurrentSpan("upstream.host", url.host)
        const body = yield* follow(
          {
            maxRedirects,
            addressFor,
            hop,
            tooManyRedirects: () => failure("blocked", `the PDF URL redirects more than ${maxRedirects} times`),
            invalidLocation: () => failure("invalid_request", "the PDF URL redirects to an invalid URL")
          },
          url
        )
        if (!looksLikePdf(body)) return yield* failure("invalid_request", "the file is not a PDF")
        return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      },
      (effect, href) =>
        Effect.timeoutFail(effect, {
          duration: totalTimeout,
          onTimeout: () => failure("timeout", `${href.slice(0, 200)} took longer than ${Duration.format(totalTimeout)}`)
        }),
      Metrics.trackUpstream("page")
    )

    return PdfFetcher.of({ fetchPdf })
  })

export const layer = (options: Options): Layer.Layer<PdfFetcher> => Layer.effect(PdfFetcher, make(options))

/** Reads `SCRIBE_ALLOW_PRIVATE_FETCH` (default false). */
export const layerConfig: Layer.Layer<PdfFetcher, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(AddressPolicy.allowPrivateConfig, (allowPrivate) => layer({ allowPrivate }))
)
