import * as Metrics from "@scribe/core/ops/Metrics"
import { Page, Scraper } from "@scribe/core/upstream/Scraper"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { type ConfigError, type Context, Duration, Effect, Layer } from "effect"
import type * as PlainHttp from "../upstream/PlainHttp"
import * as RetryAfter from "../upstream/RetryAfter"
import * as AddressPolicy from "./AddressPolicy"
import * as PageText from "./PageText"
import { connectTarget, done, follow, type Hop, isRedirect, redirect } from "./Redirects"
import * as SafeFetch from "./SafeFetch"

/**
 * The `Scraper`: public http(s) pages only, each hop's address checked by `AddressPolicy` and connected to as checked,
 * bounded in redirects, size, content type and time (docs/scraping.md).
 */

/** `maxBytes` (after decompression) defaults to 2 MB, `totalTimeout` to 20 s. */
export interface Options extends SafeFetch.Options {
  readonly userAgent?: string
}

const defaultMaxBytes = 2 * 1024 * 1024
const allowedContentTypes = new Set(["text/html", "application/xhtml+xml", "text/plain"])
/** Pages come from many sites, most visited once: a connection is kept only for a redirect or the next page. */
const idleConnectionMs = 5_000

const upstream = (kind: UpstreamFailure, message: string, retryAfterMs: number | null = null) =>
  new UpstreamError({ service: "page", kind, message, retryAfterMs })

const statusFailure = (status: number, url: string, retryAfter: string | undefined): UpstreamError => {
  const message = `${url} answered ${status}`
  const retryAfterMs = RetryAfter.parse({ retryAfter }, Date.now())
  if (status === 404 || status === 410) return upstream("not_found", message)
  if (status === 401 || status === 403 || status === 407 || status === 451) return upstream("blocked", message)
  if (status === 408) return upstream("timeout", message)
  if (status === 429) return upstream("rate_limited", message, retryAfterMs)
  if (status >= 500) return upstream("unavailable", message, retryAfterMs)
  return upstream("invalid_request", message)
}

/** A failed exchange: a bad certificate is `blocked`, a body that does not decompress `malformed_response`. */
const transportFailure = (error: PlainHttp.PlainHttpError, url: string): UpstreamError => {
  if (error.reason === "timeout") return upstream("timeout", `${url}: ${error.message}`)
  if (error.reason === "too_large") return upstream("blocked", `${url}: ${error.message}`)
  return networkFailure(error.cause ?? error, url, error.message)
}

/** A connection-level failure by its Node error code: an unknown host, a bad certificate, a broken encoding. */
export const networkFailure = (error: unknown, url: string, description?: string): UpstreamError => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""
  const message = `${url}: ${description ?? (error instanceof Error ? error.message : String(error))}`
  if (code === "ENOTFOUND") return upstream("not_found", message)
  if (
    code.startsWith("CERT_") ||
    code.startsWith("ERR_TLS_") ||
    code.includes("SELF_SIGNED") ||
    code.includes("VERIFY")
  )
    return upstream("blocked", message)
  if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR" || code.startsWith("ERR_BROTLI")) {
    return upstream("malformed_response", message)
  }
  return upstream("unavailable", message)
}

const contentTypeOf = (header: string | undefined): { readonly type: string; readonly charset: string | null } => {
  const [type = "", ...params] = (header ?? "").split(";")
  const charset = params
    .map((p) => p.trim())
    .find((p) => p.toLowerCase().startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/"/g, "")
  return { type: type.trim().toLowerCase(), charset: charset ?? null }
}

/** Only a successful answer of an accepted type has its body read. */
const wanted = (head: PlainHttp.Head): boolean =>
  head.status >= 200 && head.status < 300 && allowedContentTypes.has(contentTypeOf(head.headers["content-type"]).type)

/** Builds a `Scraper` that fetches only public http/https pages, bounded in time and size. */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<Scraper>> =>
  Effect.sync(() => {
    const maxBytes = options.maxBytes ?? defaultMaxBytes
    const { maxRedirects, connectTimeoutMs, totalTimeout, addressFor, client } = SafeFetch.make(options, {
      totalTimeout: "20 seconds",
      idleConnectionMs
    })
    const userAgent = options.userAgent ?? "ScribeBot/1.0 (academic outreach research; respects robots)"

    const hop = (url: URL, address: string): Effect.Effect<Hop<Page>, UpstreamError> =>
      Effect.gen(function* () {
        const reply = yield* client
          .send({
            url,
            headers: {
              "user-agent": userAgent,
              accept: "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8",
              "accept-encoding": "gzip, deflate, br",
              "accept-language": "en;q=1.0, *;q=0.5"
            },
            connectTo: connectTarget(url, address, options.dial),
            // The whole fetch is bounded below, redirects included.
            timeoutMs: null,
            connectTimeoutMs,
            decompress: true,
            maxBodyBytes: maxBytes,
            readBody: (head) => !isRedirect(head) && wanted(head)
          })
          .pipe(Effect.mapError((error) => transportFailure(error, url.href)))
        if (isRedirect(reply)) return redirect(String(reply.headers.location))
        const status = reply.status
        if (status < 200 || status >= 300) {
          return yield* statusFailure(status, url.href, reply.headers["retry-after"])
        }
        const { charset, type } = contentTypeOf(reply.headers["content-type"])
        if (!allowedContentTypes.has(type)) {
          return yield* upstream("blocked", `${url.href} is ${type || "untyped"}, not HTML or text`)
        }
        const { text, title } =
          type === "text/plain"
            ? PageText.fromPlainTextBytes(reply.body, charset)
            : PageText.fromHtmlBytes(reply.body, charset)
        return done(new Page({ url: url.href, title, text }))
      }).pipe(
        Effect.tapError((error) => (error.kind === "rate_limited" ? Metrics.recordRateLimited("page") : Effect.void))
      )

    const fetchPage = Effect.fn("SafeScraper.fetchPage")(
      function* (href: string) {
        yield* Effect.annotateCurrentSpan("url", href)
        if (!URL.canParse(href)) return yield* upstream("invalid_request", `not a URL: ${href.slice(0, 200)}`)
        const url = new URL(href)
        yield* Effect.annotateCurrentSpan("upstream.host", url.host)
        return yield* follow(
          {
            maxRedirects,
            addressFor,
            hop,
            tooManyRedirects: () => upstream("blocked", `more than ${maxRedirects} redirects from ${href}`),
            invalidLocation: (from) => upstream("invalid_request", `${from.href} redirects to an invalid URL`)
          },
          url
        )
      },
      (effect, href) =>
        Effect.timeoutFail(effect, {
          duration: totalTimeout,
          onTimeout: () => upstream("timeout", `${href} took longer than ${Duration.format(totalTimeout)}`)
        }),
      Metrics.trackUpstream("page")
    )

    return Scraper.of({ fetchPage })
  })

export const layer = (options: Options): Layer.Layer<Scraper> => Layer.effect(Scraper, make(options))

/** Reads `SCRIBE_ALLOW_PRIVATE_FETCH` (default false). */
export const layerConfig: Layer.Layer<Scraper, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(AddressPolicy.allowPrivateConfig, (allowPrivate) => layer({ allowPrivate }))
)
