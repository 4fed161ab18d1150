import * as Dns from "node:dns"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import type { Readable } from "node:stream"
import * as Zlib from "node:zlib"
import * as Metrics from "@scribe/core/ops/Metrics"
import { Page, Scraper } from "@scribe/core/upstream/Research"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import * as Cheerio from "cheerio"
import { Config, type ConfigError, type Context, Duration, Effect, Layer } from "effect"
import ipaddr from "ipaddr.js"
import * as RetryAfter from "../upstream/RetryAfter"

export interface Options {
  /** Fetch loopback/private/link-local targets too (`SCRIBE_ALLOW_PRIVATE_FETCH`; tests only). */
  readonly allowPrivate: boolean
  /** Body size cap in bytes after decompression (default 2 MB). */
  readonly maxBytes?: number
  /** Redirects followed at most (default 5); each hop is checked like the first. */
  readonly maxRedirects?: number
  /** Time to establish a connection (default 5 s). */
  readonly connectTimeout?: Duration.DurationInput
  /** Time for the whole fetch, redirects included (default 20 s). */
  readonly totalTimeout?: Duration.DurationInput
  readonly userAgent?: string
  /** Test seam: resolves a hostname to every address (default: the system resolver). */
  readonly resolve?: (hostname: string) => Promise<ReadonlyArray<string>>
  /** Test seam: where to really connect once an address has been vetted. */
  readonly dial?: (address: string, port: number) => { readonly host: string; readonly port: number }
}

const defaultMaxBytes = 2 * 1024 * 1024
const allowedContentTypes = new Set(["text/html", "application/xhtml+xml", "text/plain"])

const blockedHostnames = new Set([
  "localhost",
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
  "metadata.tencentyun.com",
  "metadata.packet.net"
])
const blockedSuffixes = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa"]

const globalUnicastV6 = ipaddr.IPv6.parseCIDR("2000::/3")

/**
 * Why connecting to this IP address is refused, or `null` when it is a public unicast address. IPv4-mapped and
 * IPv4-embedding IPv6 forms (`::ffff:a.b.c.d`, `::a.b.c.d`, 64:ff9b::/96, 6to4, Teredo) are refused outright.
 */
export const forbiddenAddress = (address: string): string | null => {
  const text = address.replace(/^\[|\]$/g, "")
  if (!Net.isIP(text.replace(/%.*$/, ""))) return `"${address}" is not an IP address`
  const parsed = ipaddr.parse(text)
  if (parsed.kind() === "ipv4") {
    const range = parsed.range()
    return range === "unicast" ? null : `${text} is a ${range} address`
  }
  const v6 = ipaddr.IPv6.parse(text)
  const range = v6.range()
  if (range !== "unicast") return `${text} is a ${range} IPv6 address`
  if (!v6.match(globalUnicastV6)) return `${text} is not a global unicast IPv6 address`
  return null
}

/** Why a hostname is refused before it is even resolved (names that only ever mean internal hosts). */
export const forbiddenHostname = (hostname: string): string | null => {
  const name = hostname.toLowerCase().replace(/\.+$/, "")
  if (blockedHostnames.has(name) || blockedSuffixes.some((suffix) => name.endsWith(suffix))) {
    return `${hostname} is an internal host name`
  }
  return null
}

// ---------------------------------------------------------------------------------------------------------------
// Text extraction

const removedElements = "script, style, noscript, template, svg, math, iframe, frame, object, embed, canvas, head"
const blockElements =
  "address, article, aside, blockquote, dd, div, dl, dt, fieldset, figcaption, figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, pre, section, table, tr, td, th, ul, caption, summary, details"

const hidingDeclaration = (declarations: string): boolean =>
  declarations
    .toLowerCase()
    .replace(/\s+/g, "")
    .replace(/!important/g, "")
    .split(";")
    .some((d) => d === "display:none" || d === "visibility:hidden" || d === "visibility:collapse")

/** Selectors of top-level stylesheet rules that hide what they match (rules inside @media etc. are ignored). */
const hidingSelectors = (css: string): Array<string> => {
  const source = css.replace(/\/\*[\s\S]*?\*\//g, "")
  const selectors: Array<string> = []
  let i = 0
  while (i < source.length) {
    const open = source.indexOf("{", i)
    if (open < 0) break
    const prelude = source.slice(i, open).trim()
    let depth = 1
    let j = open + 1
    let nested = false
    while (j < source.length && depth > 0) {
      if (source[j] === "{") {
        depth++
        nested = true
      } else if (source[j] === "}") depth--
      j++
    }
    const body = source.slice(open + 1, j - 1)
    if (!nested && !prelude.startsWith("@") && hidingDeclaration(body)) {
      for (const selector of prelude.split(",")) {
        const s = selector.trim()
        if (s.length > 0 && !s.includes(":")) selectors.push(s)
      }
    }
    i = j
  }
  return selectors
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

/** Marks block boundaries during extraction; a private-use character, so `\s` does not match it. */
const blockBreak = "\uE000"

const collapseBlocks = (text: string): string =>
  text
    .replace(/\s+/g, " ")
    .split(blockBreak)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join("\n")

const collapseLines = (text: string): string =>
  text
    .split("\n")
    .map((line) => line.replace(/[^\S\n]+/g, " ").trim())
    .filter((line) => line.length > 0)
    .join("\n")

/** The subset of a parsed node the text walk reads (cheerio's `domhandler` nodes). */
interface DomNode {
  readonly type: string
  readonly name?: string
  readonly data?: string
  readonly attribs?: Record<string, string>
  readonly children?: ReadonlyArray<DomNode>
}

const removedNames = new Set(removedElements.split(",").map((name) => name.trim()))
const blockNames = new Set(blockElements.split(",").map((name) => name.trim()))

/** An element dropped with everything in it: non-content, or hidden by an attribute or its inline style. */
const dropped = (node: DomNode): boolean => {
  const name = node.name
  if (name === undefined) return false
  if (removedNames.has(name)) return true
  const attribs = node.attribs ?? {}
  if ("hidden" in attribs) return true
  if (name === "input" && (attribs.type ?? "").toLowerCase() === "hidden") return true
  if ((attribs["aria-hidden"] ?? "").trim().toLowerCase() === "true") return true
  return attribs.style !== undefined && hidingDeclaration(attribs.style)
}

/** The `body` elements left once dropped elements are gone. */
const bodies = (node: DomNode, found: Array<DomNode>): Array<DomNode> => {
  for (const child of node.children ?? []) {
    if (child.name === undefined || dropped(child)) continue
    if (child.name === "body") found.push(child)
    else bodies(child, found)
  }
  return found
}

/** Text content (as cheerio's `text()`), without dropped elements, with a break around blocks and for `<br>`. */
const collectText = (node: DomNode, parts: Array<string>): Array<string> => {
  for (const child of node.children ?? []) {
    if (child.type === "text") parts.push(child.data ?? "")
    else if (child.type === "cdata") collectText(child, parts)
    else if (child.name !== undefined && !dropped(child)) {
      if (child.name === "br") parts.push(blockBreak)
      else if (blockNames.has(child.name)) {
        parts.push(blockBreak)
        collectText(child, parts)
        parts.push(blockBreak)
      } else collectText(child, parts)
    }
  }
  return parts
}

/** The original extraction, by removing nodes: used when a stylesheet hides elements by selector. */
const extractByRemoval = ($: Cheerio.CheerioAPI, stylesheetHidden: ReadonlyArray<string>): string => {
  $(removedElements).remove()
  $("[hidden], input[type='hidden' i]").remove()
  $("[aria-hidden]")
    .filter((_, el) => ($(el).attr("aria-hidden") ?? "").trim().toLowerCase() === "true")
    .remove()
  $("[style]")
    .filter((_, el) => hidingDeclaration($(el).attr("style") ?? ""))
    .remove()
  for (const selector of stylesheetHidden) {
    try {
      $(selector).remove()
    } catch {
      // A selector cheerio does not understand hides nothing we can see.
    }
  }
  $("br").replaceWith(blockBreak)
  $(blockElements).each((_, el) => {
    $(el).prepend(blockBreak).append(blockBreak)
  })
  return $("body").length > 0 ? $("body").text() : $.root().text()
}

/**
 * The readable text of an HTML document: no scripts, styles, templates, embedded documents or hidden elements
 * (`hidden`, `aria-hidden="true"`, inline or stylesheet `display:none`/`visibility:hidden`); whitespace collapsed,
 * one line per block. Read in one walk of the tree unless a stylesheet hides elements by selector (then by removing
 * what the selectors match): the selector passes and node edits cost more than parsing the page.
 */
export const extractHtml = ($: Cheerio.CheerioAPI): { readonly title: string; readonly text: string } => {
  const title =
    collapse($("head > title, title").first().text()) ||
    collapse($('meta[property="og:title"]').attr("content") ?? "") ||
    collapse($("h1").first().text())
  const stylesheetHidden = $("style")
    .toArray()
    .flatMap((el) => hidingSelectors($(el).text()))
  if (stylesheetHidden.length > 0) return { title, text: collapseBlocks(extractByRemoval($, stylesheetHidden)) }
  const roots: ReadonlyArray<DomNode> = $.root().toArray()
  const found = roots.flatMap((root) => bodies(root, []))
  const parts: Array<string> = []
  for (const node of found.length > 0 ? found : roots) collectText(node, parts)
  return { title, text: collapseBlocks(parts.join("")) }
}

export const extractFromHtml = (html: string) => extractHtml(Cheerio.load(html))

// ---------------------------------------------------------------------------------------------------------------
// Fetching

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

export const networkFailure = (error: unknown, url: string): UpstreamError => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""
  const message = `${url}: ${error instanceof Error ? error.message : String(error)}`
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

type Hop =
  | { readonly _tag: "Redirect"; readonly location: string }
  | { readonly _tag: "Body"; readonly contentType: string; readonly charset: string | null; readonly body: Buffer }

const contentTypeOf = (header: string | undefined): { readonly type: string; readonly charset: string | null } => {
  const [type = "", ...params] = (header ?? "").split(";")
  const charset = params
    .map((p) => p.trim())
    .find((p) => p.toLowerCase().startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/"/g, "")
  return { type: type.trim().toLowerCase(), charset: charset ?? null }
}

const decompress = (encoding: string | undefined, response: Readable): Readable => {
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return response.pipe(Zlib.createGunzip())
    case "deflate":
      return response.pipe(Zlib.createInflate())
    case "br":
      return response.pipe(Zlib.createBrotliDecompress())
    default:
      return response
  }
}

const decodeText = (body: Buffer, charset: string | null): string => {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body)
  } catch {
    // An unknown charset label: read it as UTF-8.
    return new TextDecoder("utf-8").decode(body)
  }
}

class ConnectTimeout extends Error {
  readonly code = "ECONNECT_TIMEOUT"
}

/** Builds a `Scraper` that fetches only public http/https pages, bounded in time and size. */
export const make = (options: Options): Effect.Effect<Context.Tag.Service<Scraper>> =>
  Effect.sync(() => {
    const maxBytes = options.maxBytes ?? defaultMaxBytes
    const maxRedirects = options.maxRedirects ?? 5
    const connectMs = Duration.toMillis(options.connectTimeout ?? "5 seconds")
    const totalTimeout = Duration.decode(options.totalTimeout ?? "20 seconds")
    const userAgent = options.userAgent ?? "ScribeBot/1.0 (academic outreach research; respects robots)"
    const resolve =
      options.resolve ??
      ((hostname: string) =>
        Dns.promises.lookup(hostname, { all: true, verbatim: true }).then((all) => all.map((a) => a.address)))

    /** The vetted address to connect to for this URL: every address the name resolves to must be allowed. */
    const vet = (url: URL): Effect.Effect<string, UpstreamError> =>
      Effect.gen(function* () {
        if (url.protocol !== "http:" && url.protocol !== "https:") {
          return yield* upstream("blocked", `${url.protocol} URLs are not fetched`)
        }
        if (url.username !== "" || url.password !== "") {
          return yield* upstream("blocked", "URLs with credentials are not fetched")
        }
        const host = url.hostname.replace(/^\[|\]$/g, "")
        const literal = Net.isIP(host) !== 0
        if (!options.allowPrivate && !literal) {
          const reason = forbiddenHostname(host)
          if (reason !== null) return yield* upstream("blocked", reason)
        }
        const addresses = literal
          ? [host]
          : yield* Effect.tryPromise({
              try: () => resolve(host),
              catch: (error) => networkFailure(error, url.href)
            })
        if (addresses.length === 0) return yield* upstream("not_found", `${host} has no address`)
        if (!options.allowPrivate) {
          for (const address of addresses) {
            const reason = forbiddenAddress(address)
            if (reason !== null) return yield* upstream("blocked", `${url.host} refused: ${reason}`)
          }
        }
        // Every address is vetted; the connection goes to one of them, IPv4 first (loopback test servers and many
        // hosts listen on IPv4 only), never to a name resolved again later.
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
            "user-agent": userAgent,
            accept: "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8",
            "accept-encoding": "gzip, deflate, br",
            "accept-language": "en;q=1.0, *;q=0.5"
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
                ? upstream("timeout", `${url.href}: could not connect within ${connectMs} ms`)
                : networkFailure(error, url.href)
            )
          )
        )
        request.on("response", (response: Http.IncomingMessage) => {
          clearTimeout(connectTimer)
          const status = response.statusCode ?? 0
          const location = response.headers.location
          if (status >= 300 && status < 400 && status !== 304 && location !== undefined) {
            settle(Effect.succeed({ _tag: "Redirect", location }))
            request.destroy()
            return
          }
          if (status < 200 || status >= 300) {
            settle(Effect.fail(statusFailure(status, url.href, response.headers["retry-after"])))
            request.destroy()
            return
          }
          const { type, charset } = contentTypeOf(response.headers["content-type"])
          if (!allowedContentTypes.has(type)) {
            settle(Effect.fail(upstream("blocked", `${url.href} is ${type || "untyped"}, not HTML or text`)))
            request.destroy()
            return
          }
          const declared = Number(response.headers["content-length"] ?? "0")
          if (declared > maxBytes) {
            settle(Effect.fail(upstream("blocked", `${url.href} is ${declared} bytes, over ${maxBytes}`)))
            request.destroy()
            return
          }
          const stream = decompress(response.headers["content-encoding"], response)
          const chunks: Array<Buffer> = []
          let size = 0
          stream.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size > maxBytes) {
              settle(Effect.fail(upstream("blocked", `${url.href} exceeds ${maxBytes} bytes`)))
              stream.destroy()
              request.destroy()
              return
            }
            chunks.push(chunk)
          })
          stream.on("error", (error) => settle(Effect.fail(networkFailure(error, url.href))))
          response.on("aborted", () =>
            settle(Effect.fail(upstream("unavailable", `${url.href}: connection closed mid-body`)))
          )
          stream.on("end", () =>
            settle(Effect.succeed({ _tag: "Body", contentType: type, charset, body: Buffer.concat(chunks) }))
          )
        })
        request.end()
        return Effect.sync(() => {
          settled = true
          clearTimeout(connectTimer)
          request.destroy()
        })
      })

    const toPage = (url: URL, hop: Extract<Hop, { _tag: "Body" }>): Page => {
      if (hop.contentType === "text/plain") {
        return new Page({ url: url.href, title: "", text: collapseLines(decodeText(hop.body, hop.charset)) })
      }
      const $ = Cheerio.loadBuffer(hop.body, {
        encoding: {
          defaultEncoding: "utf-8",
          ...(hop.charset !== null ? { transportLayerEncodingLabel: hop.charset } : {})
        }
      })
      const { text, title } = extractHtml($)
      return new Page({ url: url.href, title, text })
    }

    const fetchPage = Effect.fn("SafeScraper.fetchPage")(
      function* (href: string) {
        yield* Effect.annotateCurrentSpan("url", href)
        if (!URL.canParse(href)) return yield* upstream("invalid_request", `not a URL: ${href.slice(0, 200)}`)
        let url = new URL(href)
        yield* Effect.annotateCurrentSpan("upstream.host", url.host)
        for (let redirects = 0; ; redirects++) {
          const address = yield* vet(url)
          const result = yield* hop(url, address).pipe(
            Effect.tapError((error) =>
              error.kind === "rate_limited" ? Metrics.recordRateLimited("page") : Effect.void
            )
          )
          if (result._tag === "Body") return toPage(url, result)
          if (redirects >= maxRedirects)
            return yield* upstream("blocked", `more than ${maxRedirects} redirects from ${href}`)
          if (!URL.canParse(result.location, url.href)) {
            return yield* upstream("invalid_request", `${url.href} redirects to an invalid URL`)
          }
          url = new URL(result.location, url)
        }
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
  Effect.map(Config.boolean("SCRIBE_ALLOW_PRIVATE_FETCH").pipe(Config.withDefault(false)), (allowPrivate) =>
    layer({ allowPrivate })
  )
)
