import { Effect, type Scope } from "effect"
import * as LocalServer from "./LocalServer"

/** How the web server answers one path. */
export interface PageSpec {
  readonly status?: number
  /** Default `text/html; charset=utf-8`. */
  readonly contentType?: string
  readonly body?: string | Uint8Array
  readonly headers?: Readonly<Record<string, string>>
  /** Answer with a redirect to this URL (absolute or relative); status defaults to 302. */
  readonly redirect?: string
  /** Wait before answering (scaled). */
  readonly latencyMs?: number
  /** Send the headers at once, then the body in `chunks` pieces, one every `intervalMs` (scaled). */
  readonly trickle?: { readonly chunks: number; readonly intervalMs: number }
  /** Serve a generated HTML page of about this many bytes instead of `body`. */
  readonly hugeBytes?: number
  /** Leave out `Content-Length` (the body is sent chunked), so a size cap must be enforced while streaming. */
  readonly chunked?: boolean
}

export type PageRoute = PageSpec | ((request: LocalServer.LoggedRequest) => PageSpec)

export interface FakeWeb extends LocalServer.LocalServer {
  /** The absolute URL of a path on this server. */
  readonly url: (path: string) => string
  readonly setPage: (path: string, route: PageRoute) => void
  /** Paths requested (with or without success), in order. */
  readonly requested: () => ReadonlyArray<string>
  /** Absolute URLs answered with 200, in order. */
  readonly served: () => ReadonlyArray<string>
  readonly reset: () => void
}

const hugeHtml = (bytes: number): Buffer => {
  const paragraph = "<p>Research notes on analytical engines, repeated to make this page large.</p>\n"
  const head = "<!doctype html><html><head><title>A very large page</title></head><body>\n"
  const count = Math.max(1, Math.ceil((bytes - head.length) / paragraph.length))
  return Buffer.from(head + paragraph.repeat(count) + "</body></html>")
}

/** Faculty and lab pages on 127.0.0.1; paths not set answer 404. */
export const make = (
  pages: (origin: string) => Readonly<Record<string, PageRoute>>,
  scale = 1
): Effect.Effect<FakeWeb, never, Scope.Scope> => {
  const routes = new Map<string, PageRoute>()
  let initial: Readonly<Record<string, PageRoute>> = {}

  return LocalServer.make(async (entry, response) => {
    const route = routes.get(entry.path)
    if (route === undefined) {
      response.writeHead(404, { "content-type": "text/html" }).end("<html><body>Not found</body></html>")
      return
    }
    const spec = typeof route === "function" ? route(entry) : route
    await LocalServer.delay((spec.latencyMs ?? 0) * scale, response)
    if (response.destroyed) return
    if (spec.redirect !== undefined) {
      response.writeHead(spec.status ?? 302, { location: spec.redirect, ...spec.headers }).end()
      return
    }
    const body =
      spec.hugeBytes !== undefined
        ? hugeHtml(spec.hugeBytes)
        : typeof spec.body === "string"
          ? Buffer.from(spec.body)
          : Buffer.from(spec.body ?? "")
    const headers: Record<string, string> = {
      "content-type": spec.contentType ?? "text/html; charset=utf-8",
      ...(spec.chunked === true || spec.trickle !== undefined ? {} : { "content-length": String(body.length) }),
      ...spec.headers
    }
    response.writeHead(spec.status ?? 200, headers)
    if (spec.trickle === undefined) {
      response.end(body)
      return
    }
    const pieces = Math.max(1, spec.trickle.chunks)
    const size = Math.ceil(body.length / pieces)
    for (let i = 0; i < pieces && !response.destroyed; i++) {
      response.write(body.subarray(i * size, (i + 1) * size))
      await LocalServer.delay(spec.trickle.intervalMs * scale, response)
    }
    if (!response.destroyed) response.end()
  }).pipe(
    Effect.map((server) => {
      initial = pages(server.origin)
      const load = () => {
        routes.clear()
        for (const [path, route] of Object.entries(initial)) routes.set(path, route)
      }
      load()
      return {
        ...server,
        url: (path: string) => new URL(path, server.origin).href,
        setPage: (path: string, route: PageRoute) => {
          routes.set(path, route)
        },
        requested: () => server.log.entries.map((e) => e.path),
        served: () =>
          server.log.entries.filter((e) => e.status === 200).map((e) => new URL(e.path, server.origin).href),
        reset: () => {
          load()
          server.log.clear()
        }
      }
    })
  )
}
