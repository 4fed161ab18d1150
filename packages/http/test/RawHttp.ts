import { request as httpRequest, type IncomingHttpHeaders } from "node:http"
import { HttpServer } from "@effect/platform"
import { Effect } from "effect"

export interface RawReply {
  /** 0 when the connection closed before any answer. */
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  readonly json: unknown
}

export interface RawRequest {
  readonly method: string
  readonly path: string
  readonly headers?: Record<string, string | undefined>
  readonly body?: string | Buffer | undefined
  /** Send the body chunked, without Content-Length. */
  readonly chunked?: boolean
  /** How long to wait for an answer before giving up (status -1); 15 s by default. */
  readonly timeoutMs?: number
}

const parse = (text: string): unknown => {
  try {
    return text === "" ? null : JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * One request exactly as given (any method, media type, header or body, chunked or not) over a fresh connection,
 * to `port` on loopback. An answer that arrives while the body is still being sent is the answer; a connection
 * closed with no answer is status 0, no answer in time is -1.
 */
export const sendRaw = (port: number, options: RawRequest): Promise<RawReply> =>
  new Promise((resolve) => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = value
    const body = typeof options.body === "string" ? Buffer.from(options.body) : options.body
    if (body !== undefined) {
      // Said explicitly: Node's client would send a DELETE or OPTIONS body with no framing at all.
      if (options.chunked === true) headers["transfer-encoding"] = "chunked"
      else headers["content-length"] = String(body.length)
    }
    let settled = false
    const settle = (reply: RawReply) => {
      if (!settled) {
        settled = true
        resolve(reply)
      }
    }
    const req = httpRequest(
      { host: "127.0.0.1", port, method: options.method, path: options.path, headers, agent: false },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        const done = () => {
          const text = Buffer.concat(chunks).toString("utf8")
          settle({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) })
        }
        res.on("end", done)
        res.on("close", done)
        res.on("error", done)
      }
    )
    req.on("error", () => settle({ status: 0, headers: {}, text: "", json: undefined }))
    // No answer at all within the time is its own status, so that a hang shows as the request that hung.
    req.setTimeout(options.timeoutMs ?? 15_000, () => {
      settle({ status: -1, headers: {}, text: "", json: undefined })
      req.destroy()
    })
    if (body !== undefined) req.write(body)
    req.end()
  })

/** The port of the server under test. */
export const serverPort = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? server.address.port : 0
)
