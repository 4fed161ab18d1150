import * as Http from "node:http"
import { performance } from "node:perf_hooks"
import { Effect, type Scope } from "effect"

/** One request a simulated server received, in arrival order. */
export interface LoggedRequest {
  /** Monotonic arrival time in ms (`performance.now()`), comparable across the world's servers. */
  readonly at: number
  readonly method: string
  /** The path without the query string. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
  /** The status the server answered with, once it sent its headers (`null` before). */
  readonly status: number | null
}

export interface RequestLog {
  readonly entries: ReadonlyArray<LoggedRequest>
  /** Requests whose path matches (a string is an exact path, a RegExp is tested against the path). */
  readonly matching: (path: string | RegExp) => ReadonlyArray<LoggedRequest>
  readonly clear: () => void
}

export const makeRequestLog = (): RequestLog & { readonly push: (entry: LoggedRequest) => void } => {
  const entries: Array<LoggedRequest> = []
  return {
    entries,
    matching: (path) => entries.filter((e) => (typeof path === "string" ? e.path === path : path.test(e.path))),
    clear: () => {
      entries.length = 0
    },
    push: (entry) => {
      entries.push(entry)
    }
  }
}

export type Handler = (request: LoggedRequest, response: Http.ServerResponse) => void | Promise<void>

export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly port: number
  readonly log: RequestLog
}

/** Waits `ms` (no wait when `ms <= 0`), giving up early when the client has gone away. */
export const delay = (ms: number, response: Http.ServerResponse): Promise<void> =>
  ms <= 0
    ? Promise.resolve()
    : new Promise((resolve) => {
        const timer = setTimeout(resolve, ms)
        response.once("close", () => {
          clearTimeout(timer)
          resolve()
        })
      })

export const sendJson = (
  response: Http.ServerResponse,
  status: number,
  body: unknown,
  headers: Http.OutgoingHttpHeaders = {}
): void => {
  if (response.destroyed) return
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))
}

/** A node:http server on 127.0.0.1 with a random port, closed with its scope. Every request is logged. */
export const make = (handler: Handler): Effect.Effect<LocalServer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const log = makeRequestLog()
    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server>((resume) => {
        const server = Http.createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://127.0.0.1")
            const entry: LoggedRequest = {
              at: performance.now(),
              method: req.method ?? "GET",
              path: url.pathname,
              query: url.searchParams,
              headers: req.headers,
              body: Buffer.concat(chunks).toString("utf8"),
              get status() {
                return res.headersSent ? res.statusCode : null
              }
            }
            log.push(entry)
            Promise.resolve()
              .then(() => handler(entry, res))
              .catch((error: unknown) => {
                if (!res.headersSent && !res.destroyed) {
                  res.writeHead(500, { "content-type": "text/plain" }).end(`world handler failed: ${String(error)}`)
                }
              })
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    if (address === null || typeof address === "string") return yield* Effect.dieMessage("server has no port")
    return { origin: `http://127.0.0.1:${address.port}`, port: address.port, log }
  })
