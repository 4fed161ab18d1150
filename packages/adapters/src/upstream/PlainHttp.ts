import * as Http from "node:http"
import * as Https from "node:https"
import { Data, Effect } from "effect"

/**
 * HTTP for the upstream adapters (search, arXiv, the LLM SDK's `fetch`) on Node's own client over keep-alive
 * connections: one request costs a fraction of the CPU of `@effect/platform`'s client or of `fetch` (undici's WHATWG
 * streams), which was a third of a zero-latency email's pipeline (issue 6's benchmark). Bodies are read whole; no
 * redirects are followed and nothing is decompressed (as with the clients it replaces). Pages are not fetched here:
 * `SafeScraper` vets every connection itself.
 */

/** Why a request got no complete answer: it could not be sent (or its connection failed), timed out, or broke off. */
export class PlainHttpError extends Data.TaggedError("PlainHttpError")<{
  readonly reason: "request" | "timeout" | "response"
  readonly message: string
  readonly cause?: unknown
}> {}

export interface Request {
  readonly url: URL
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** The whole exchange, connection included. */
  readonly timeoutMs: number
}

export interface Reply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

export interface Client {
  readonly send: (request: Request) => Effect.Effect<Reply, PlainHttpError>
  /** `fetch` for SDKs that take one (the OpenAI SDK); honours `signal`, buffers the body. */
  readonly fetch: (input: string | URL | globalThis.Request, init?: RequestInit) => Promise<Response>
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Statuses whose response can have no body (`Response` refuses one). */
const nullBodyStatus = new Set([101, 204, 205, 304])

/**
 * A client with its own keep-alive agents. Idle connections do not hold the process open (Node unrefs them) and close
 * before the server's keep-alive timeout; a request interrupted or timed out destroys its connection.
 */
export const make = (): Client => {
  const agents = { http: new Http.Agent({ keepAlive: true }), https: new Https.Agent({ keepAlive: true }) }

  /** Starts a request; `done` is called exactly once, unless the returned canceller runs first. */
  const start = (
    request: Omit<Request, "timeoutMs"> & { readonly timeoutMs: number | null },
    done: (
      outcome:
        | { readonly _tag: "Left"; readonly error: PlainHttpError }
        | { readonly _tag: "Right"; readonly reply: Reply }
    ) => void
  ): ((reason?: unknown) => void) => {
    let settled = false
    const https = request.url.protocol === "https:"
    const settle = (outcome: Parameters<typeof done>[0]) => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      done(outcome)
    }
    const fail = (reason: PlainHttpError["reason"], message: string, cause?: unknown) =>
      settle({ _tag: "Left", error: new PlainHttpError({ reason, message, cause }) })
    const headers: Record<string, string | number> = { ...request.headers }
    if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body)
    const options: Http.RequestOptions = {
      method: request.method ?? "GET",
      headers,
      agent: https ? agents.https : agents.http
    }
    const req = https ? Https.request(request.url, options) : Http.request(request.url, options)
    const timer =
      request.timeoutMs === null
        ? undefined
        : setTimeout(() => {
            fail("timeout", `${request.url.host} did not answer within ${request.timeoutMs} ms`)
            req.destroy()
          }, request.timeoutMs)
    req.on("error", (error) => fail("request", errorMessage(error), error))
    req.on("response", (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("error", (error) => fail("response", errorMessage(error), error))
      res.on("aborted", () => fail("response", "the connection closed mid-body"))
      res.on("end", () =>
        settle({
          _tag: "Right",
          reply: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }
        })
      )
    })
    req.end(request.body)
    return (reason) => {
      settled = true
      if (timer !== undefined) clearTimeout(timer)
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
