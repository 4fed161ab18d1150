import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import type { Readable } from "node:stream"
import * as Zlib from "node:zlib"
import { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Data, Duration, Effect } from "effect"

/**
 * HTTP for the adapters (search, arXiv, web pages, the LLM SDK's `fetch`) on Node's own client over keep-alive
 * connections: one request costs a fraction of the CPU of `@effect/platform`'s client or of `fetch` (undici's WHATWG
 * streams), which had been a third of a zero-latency email's pipeline (docs/benchmarks.md, "Orchestration overhead").
 * No redirects are followed: a caller that follows them checks every hop itself. Bodies are read whole and, unless a
 * request asks, not decompressed; a request can also cap its body, skip it after seeing the head, and name the
 * address to connect to (what the page scraper needs to connect only where it has checked).
 */

/**
 * Why a request got no complete answer: it could not be sent (or its connection failed), timed out, broke off, or its
 * body was over the request's cap.
 */
export class PlainHttpError extends Data.TaggedError("PlainHttpError")<{
  readonly reason: "request" | "timeout" | "response" | "too_large"
  readonly message: string
  readonly cause?: unknown
}> {}

/** What an answer says before its body. */
export interface Head {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
}

export interface Request {
  readonly url: URL
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** The whole exchange, connection included; `null` when the caller bounds it (interrupting `send` ends it). */
  readonly timeoutMs: number | null
  /** Time to get a connection (TCP, and the TLS handshake for https); a pooled connection is there at once. */
  readonly connectTimeoutMs?: number
  /** Connect here instead of to the URL's host; `Host` and the TLS server name stay the URL's. */
  readonly connectTo?: { readonly host: string; readonly port: number }
  /** Decode a gzip, deflate or br body, as its `Content-Encoding` says. */
  readonly decompress?: boolean
  /** Fail (`too_large`) rather than hold more body bytes than this, counted after decoding; checked while streaming. */
  readonly maxBodyBytes?: number
  /** Whether to read the body, once the head is in (default: always). A body not read comes back empty. */
  readonly readBody?: (head: Head) => boolean
}

export interface Reply extends Head {
  readonly body: Buffer
}

export interface Client {
  readonly send: (request: Request) => Effect.Effect<Reply, PlainHttpError>
  /** `fetch` for SDKs that take one (the OpenAI SDK); honours `signal`, buffers the body. */
  readonly fetch: (input: string | URL | globalThis.Request, init?: RequestInit) => Promise<Response>
}

export interface Options {
  /** Close a pooled connection idle this long (default: keep it until the server closes it). */
  readonly idleTimeoutMs?: number
}

/**
 * A transport failure as the upstream error an adapter reports: a timeout; `unavailable` when the request could not be
 * sent; `malformed_response` when the answer broke off. `name` is how messages call the upstream; `hint` gives the
 * plain-words reason users may see, when there is one.
 */
export const upstreamFailure =
  (
    service: UpstreamError["service"],
    name: string,
    timeout: Duration.Duration,
    hint: (error: PlainHttpError) => { readonly hint?: string } = () => ({})
  ) =>
  (error: PlainHttpError): UpstreamError =>
    error.reason === "timeout"
      ? new UpstreamError({
          service,
          kind: "timeout",
          message: `${name} did not answer within ${Duration.format(timeout)}`,
          retryAfterMs: null
        })
      : new UpstreamError({
          service,
          kind: error.reason === "request" ? "unavailable" : "malformed_response",
          message: `${name}: ${error.message}`,
          retryAfterMs: null,
          ...hint(error)
        })

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Statuses whose response can have no body (`Response` refuses one). */
const nullBodyStatus = new Set([101, 204, 205, 304])

const decoded = (encoding: string | undefined, stream: Readable): Readable => {
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return stream.pipe(Zlib.createGunzip())
    case "deflate":
      return stream.pipe(Zlib.createInflate())
    case "br":
      return stream.pipe(Zlib.createBrotliDecompress())
    default:
      return stream
  }
}

type Outcome =
  | { readonly _tag: "Left"; readonly error: PlainHttpError }
  | { readonly _tag: "Right"; readonly reply: Reply }

/**
 * A client with its own keep-alive agents. Idle connections do not hold the process open (Node unrefs them) and close
 * before the server's keep-alive timeout; a request interrupted, timed out or whose body is not read destroys its
 * connection. Connections are pooled by the address connected to, so `connectTo` never reuses one made elsewhere.
 */
export const make = (options: Options = {}): Client => {
  const agentOptions: Http.AgentOptions = {
    keepAlive: true,
    ...(options.idleTimeoutMs !== undefined ? { timeout: options.idleTimeoutMs } : {})
  }
  const agents = { http: new Http.Agent(agentOptions), https: new Https.Agent(agentOptions) }

  /** Starts a request; `done` is called exactly once, unless the returned canceller runs first. */
  const start = (request: Request, done: (outcome: Outcome) => void): ((reason?: unknown) => void) => {
    let settled = false
    const https = request.url.protocol === "https:"
    const timers: Array<NodeJS.Timeout> = []
    const settle = (outcome: Outcome) => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      done(outcome)
    }
    const fail = (reason: PlainHttpError["reason"], message: string, cause?: unknown) =>
      settle({ _tag: "Left", error: new PlainHttpError({ reason, message, cause }) })
    const headers: Record<string, string | number> = { ...request.headers }
    if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body)
    const target = request.connectTo
    const hostname = request.url.hostname.replace(/^\[|\]$/g, "")
    if (target !== undefined && headers.host === undefined) headers.host = request.url.host
    const requestOptions: Https.RequestOptions = {
      method: request.method ?? "GET",
      headers,
      agent: https ? agents.https : agents.http,
      ...(target !== undefined ? { hostname: target.host, port: target.port } : {}),
      // An IP address is no server name: sending none keeps TLS from warning and checks the certificate for the IP.
      ...(target !== undefined && https ? { servername: Net.isIP(hostname) === 0 ? hostname : "" } : {})
    }
    const req = https ? Https.request(request.url, requestOptions) : Http.request(request.url, requestOptions)
    const after = (ms: number, reason: string) => {
      const timer = setTimeout(() => {
        fail("timeout", reason)
        req.destroy()
      }, ms)
      timers.push(timer)
      return timer
    }
    if (request.timeoutMs !== null)
      after(request.timeoutMs, `${request.url.host} did not answer within ${request.timeoutMs} ms`)
    const connectMs = request.connectTimeoutMs
    if (connectMs !== undefined) {
      const connecting = after(connectMs, `could not connect within ${connectMs} ms`)
      const connected = () => clearTimeout(connecting)
      req.on("socket", (socket) => {
        if (req.reusedSocket) connected()
        else socket.once(https ? "secureConnect" : "connect", connected)
      })
      req.on("response", connected)
    }
    req.on("error", (error) => fail("request", errorMessage(error), error))
    req.on("response", (res) => {
      const head: Head = { status: res.statusCode ?? 0, headers: res.headers }
      if (request.readBody?.(head) === false) {
        settle({ _tag: "Right", reply: { ...head, body: Buffer.alloc(0) } })
        req.destroy()
        return
      }
      const max = request.maxBodyBytes ?? Number.POSITIVE_INFINITY
      const declared = Number(res.headers["content-length"] ?? "0")
      if (declared > max) {
        fail("too_large", `the body is ${declared} bytes, over ${max}`)
        req.destroy()
        return
      }
      const body = request.decompress === true ? decoded(res.headers["content-encoding"], res) : res
      const chunks: Array<Buffer> = []
      let size = 0
      body.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > max) {
          fail("too_large", `the body exceeds ${max} bytes`)
          body.destroy()
          req.destroy()
          return
        }
        chunks.push(chunk)
      })
      res.on("error", (error) => fail("response", errorMessage(error), error))
      if (body !== res) body.on("error", (error) => fail("response", errorMessage(error), error))
      res.on("aborted", () => fail("response", "the connection closed mid-body"))
      body.on("end", () => settle({ _tag: "Right", reply: { ...head, body: Buffer.concat(chunks) } }))
    })
    req.end(request.body)
    return (reason) => {
      settled = true
      for (const timer of timers) clearTimeout(timer)
      req.destroy(reason instanceof Error ? reason : undefined)
    }
  }

  // A client span per request, as the platform's client made (method, host and status; no path or query, which can
  // carry a person's name). No trace header is sent: upstreams are third parties.
  const send = (request: Request): Effect.Effect<Reply, PlainHttpError> =>
    Effect.async<Reply, PlainHttpError>((resume) => {
      const cancel = start(request, (outcome) =>
        resume(outcome._tag === "Right" ? Effect.succeed(outcome.reply) : Effect.fail(outcome.error))
      )
      return Effect.sync(() => cancel())
    }).pipe(
      Effect.tap((reply) => Effect.annotateCurrentSpan("http.response.status_code", reply.status)),
      Effect.withSpan(`http.client ${request.method ?? "GET"}`, {
        kind: "client",
        attributes: { "http.request.method": request.method ?? "GET", "server.address": request.url.hostname }
      })
    )

  const fetch = (input: string | URL | globalThis.Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url)
      const signal = init.signal ?? null
      const aborted = () => new DOMException("This operation was aborted", "AbortError")
      if (signal?.aborted) return reject(aborted())
      const headers: Record<string, string> = {}
      new Headers(init.headers).forEach((value, key) => {
        headers[key] = value
      })
      if (init.body !== undefined && init.body !== null && typeof init.body !== "string") {
        return reject(new TypeError("PlainHttp.fetch sends string bodies only"))
      }
      const onAbort = () => {
        cancel(aborted())
        reject(aborted())
      }
      const cancel = start(
        {
          url,
          method: init.method ?? "GET",
          headers,
          ...(typeof init.body === "string" ? { body: init.body } : {}),
          timeoutMs: null
        },
        (outcome) => {
          signal?.removeEventListener("abort", onAbort)
          if (outcome._tag === "Left") return reject(new TypeError("fetch failed", { cause: outcome.error }))
          const { reply } = outcome
          const responseHeaders = new Headers()
          for (const [key, value] of Object.entries(reply.headers)) {
            if (value === undefined) continue
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v)
          }
          resolve(
            new Response(nullBodyStatus.has(reply.status) ? null : reply.body, {
              status: reply.status,
              headers: responseHeaders
            })
          )
        }
      )
      signal?.addEventListener("abort", onAbort, { once: true })
    })

  return { send, fetch }
}
