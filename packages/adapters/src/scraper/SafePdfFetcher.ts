import * as Dns from "node:dns"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import * as Metrics from "@scribe/core/ops/Metrics"
import { maxPdfBytes, PdfFetcher } from "@scribe/core/templates/PdfFetcher"
import { looksLikePdf } from "@scribe/core/templates/PdfText"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { Config, type ConfigError, type Context, Duration, Effect, Layer } from "effect"
import { forbiddenAddress, forbiddenHostname } from "./AddressPolicy"
import { networkFailure } from "./SafeScraper"

export interface Options {
  /** Fetch loopback/private/link-local targets too (`SCRIBE_ALLOW_PRIVATE_FETCH`; tests only). */
  readonly allowPrivate: boolean
  /** Body size cap in bytes (default 10 MB, `maxPdfBytes`). */
  readonly maxBytes?: number
  /** Redirects followed at most (default 5); each hop is checked like the first. */
  readonly maxRedirects?: number
  /** Time to establish a connection (default 5 s). */
  readonly connectTimeout?: Duration.DurationInput
  /** Time for the whole fetch, redirects included (default 30 s). */
  readonly totalTimeout?: Duration.DurationInput
  /** Test seam: resolves a hostname to every address (default: the system resolver). */
  readonly resolve?: (hostname: string) => Promise<ReadonlyArray<string>>
  /** Test seam: where to really connect once an address has been vetted. */
  readonly dial?: (address: string, port: number) => { readonly host: string; readonly port: number }
}

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

type Hop = { readonly _tag: "Redirect"; readonly location: string } | { readonly _tag: "Body"; readonly body: Buffer }

class ConnectTimeout extends Error {
  readonly code = "ECONNECT_TIMEOUT"
}

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
    const maxRedirects = options.maxRedirects ?? 5
    const connectMs = Duration.toMillis(options.connectTimeout ?? "5 seconds")
    const totalTimeout = Duration.decode(options.totalTimeout ?? "30 seconds")
    const resolve =
      options.resolve ??
      ((hostname: string) =>
        Dns.promises.lookup(hostname, { all: true, verbatim: true }).then((all) => all.map((a) => a.address)))

    const vet = (url: URL): Effect.Effect<string, UpstreamError> =>
      Effect.gen(function* () {
        if (url.protocol !== "http:" && url.protocol !== "https:") {
          return yield* failure("blocked", `${url.protocol} URLs are not fetched, only http and https`)
        }
        if (url.username !== "" || url.password !== "") {
          return yield* failure("blocked", "URLs with credentials are not fetched")
        }
        const host = url.hostname.replace(/^\[|\]$/g, "")
        const literal = Net.isIP(host) !== 0
        if (!options.allowPrivate && !literal) {
          const reason = forbiddenHostname(host)
          if (reason !== null) return yield* failure("blocked", `the PDF URL is refused: ${reason}`)
        }
        const addresses = literal
          ? [host]
          : yield* Effect.tryPromise({ try: () => resolve(host), catch: (error) => networkFailure(error, url.href) })
        if (addresses.length === 0) return yield* failure("not_found", `${host} has no address`)
        if (!options.allowPrivate) {
          for (const address of addresses) {
            const reason = forbiddenAddress(address)
            if (reason !== null) return yield* failure("blocked", `the PDF URL is refused: ${reason}`)
          }
        }
        return addresses.find((a) => Net.isIPv4(a)) ?? addresses[0]!
      })

    const hop = (url: URL, address: string): Effect.Effect<Hop, UpstreamError> =>
      Effect.async<Hop, UpstreamError>((resume) => {
        let settled = false
        const settle = (effect: Effect.Effect<Hop, UpstreamError>) => {
          if (settled) return
          settled = true
          clearTimeout(connectTimer)
          resume(effect)
        }
        const https = url.protocol === "https:"
        const hostname = url.hostname.replace(/^\[|\]$/g, "")
        const port = url.port !== "" ? Number(url.port) : https ? 443 : 80
        const target = options.dial?.(address, port) ?? { host: address, port }
        const requestOptions: Https.RequestOptions = {
          host: target.host,
          port: target.port,
          method: "GET",
          path: `${url.pathname}${url.search}`,
          agent: false,
          headers: {
            host: url.host,
            "user-agent": "ScribeBot/1.0 (résumé template; fetched once at the student's request)",
            accept: "application/pdf,application/octet-stream;q=0.5"
          },
          ...(https && Net.isIP(hostname) === 0 ? { servername: hostname } : {})
        }
        const request = https ? Https.request(requestOptions) : Http.request(requestOptions)
        const connectTimer = setTimeout(() => request.destroy(new ConnectTimeout("connect timeout")), connectMs)
        request.on("socket", (socket) => {
          socket.once(https ? "secureConnect" : "connect", () => clearTimeout(connectTimer))
        })
        request.on("error", (error) =>
          settle(
            Effect.fail(
              error instanceof ConnectTimeout
                ? failure("timeout", `${url.host} could not be reached within ${connectMs} ms`)
                : networkFailure(error, url.href)
            )
          )
        )
        request.on("response", (response: Http.IncomingMessage) => {
          clearTimeout(connectTimer)
          const status = response.statusCode ?? 0
          const location = response.headers.location
          const refuse = (error: UpstreamError) => {
            settle(Effect.fail(error))
            request.destroy()
          }
          if (status >= 300 && status < 400 && status !== 304 && location !== undefined) {
            settle(Effect.succeed({ _tag: "Redirect", location }))
            request.destroy()
            return
          }
          if (status < 200 || status >= 300) return refuse(statusFailure(status))
          const type = (response.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
          if (!pdfContentTypes.has(type))
            return refuse(failure("invalid_request", `the PDF URL serves ${type}, not a PDF`))
          const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase()
          if (encoding !== "identity") {
            return refuse(failure("invalid_request", `the PDF URL sent a ${encoding}-encoded body, not a PDF`))
          }
          if (Number(response.headers["content-length"] ?? "0") > maxBytes) return refuse(failure("blocked", tooLarge))
          const chunks: Array<Buffer> = []
          let size = 0
          response.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size > maxBytes) return refuse(failure("blocked", tooLarge))
            chunks.push(chunk)
          })
          response.on("error", (error) => settle(Effect.fail(networkFailure(error, url.href))))
          response.on("aborted", () =>
            settle(Effect.fail(failure("unavailable", `${url.host} closed the connection mid-body`)))
          )
          response.on("end", () => settle(Effect.succeed({ _tag: "Body", body: Buffer.concat(chunks) })))
        })
        request.end()
        return Effect.sync(() => {
          settled = true
          clearTimeout(connectTimer)
          request.destroy()
        })
      })

    const fetchPdf = Effect.fn("SafePdfFetcher.fetchPdf")(
      function* (href: string) {
        if (!URL.canParse(href)) return yield* failure("invalid_request", "the PDF URL is not a valid URL")
        let url = new URL(href)
        yield* Effect.annotateCurrentSpan("upstream.host", url.host)
        for (let redirects = 0; ; redirects++) {
          const result = yield* hop(url, yield* vet(url))
          if (result._tag === "Body") {
            if (!looksLikePdf(result.body)) return yield* failure("invalid_request", "the file is not a PDF")
            return new Uint8Array(result.body.buffer, result.body.byteOffset, result.body.byteLength)
          }
          if (redirects >= maxRedirects)
            return yield* failure("blocked", `the PDF URL redirects more than ${maxRedirects} times`)
          if (!URL.canParse(result.location, url.href)) {
            return yield* failure("invalid_request", "the PDF URL redirects to an invalid URL")
          }
          url = new URL(result.location, url)
        }
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
  Effect.map(Config.boolean("SCRIBE_ALLOW_PRIVATE_FETCH").pipe(Config.withDefault(false)), (allowPrivate) =>
    layer({ allowPrivate })
  )
)
