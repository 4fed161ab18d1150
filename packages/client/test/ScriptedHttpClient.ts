import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Effect, Layer } from "effect"

/** What the double answers: a status with a JSON (or text) body, or a connection dropped before any answer. */
export type Reply =
  | { readonly status: number; readonly json: unknown }
  | { readonly status: number; readonly text: string }
  | { readonly drop: "ECONNREFUSED" | "ECONNRESET" }

/** A request as the double saw it. */
export interface Sent {
  readonly route: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

const bodyOf = (request: HttpClientRequest.HttpClientRequest): unknown =>
  request.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request.body.body)) : undefined

/**
 * A response whose body is read synchronously, so a test on `TestClock` never waits on a real promise (a web
 * `Response` reads its body asynchronously).
 */
const respond = (request: HttpClientRequest.HttpClientRequest, status: number, body: string) => {
  const response: HttpClientResponse.HttpClientResponse = Object.create(
    HttpClientResponse.fromWeb(request, new Response(null, { status, headers: { "content-type": "application/json" } }))
  )
  const bytes = new TextEncoder().encode(body)
  Object.defineProperties(response, {
    arrayBuffer: { get: () => Effect.succeed(bytes.buffer) },
    text: { get: () => Effect.succeed(body) },
    json: { get: () => Effect.succeed(body === "" ? null : JSON.parse(body)) }
  })
  return response
}

/**
 * A scripted test double of `HttpClient`: per route (`"GET /api/queue/"`, path without query) the replies to give in
 * order, the last one repeating. Records every request. An unscripted route is a test bug (defect).
 */
export const make = (script: Readonly<Record<string, ReadonlyArray<Reply>>>) => {
  const sent: Array<Sent> = []
  const cursor = new Map<string, number>()
  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const route = `${request.method} ${url.pathname}`
      const replies = script[route]
      if (replies === undefined || replies.length === 0) return Effect.dieMessage(`unscripted request: ${route}`)
      const index = cursor.get(route) ?? 0
      cursor.set(route, index + 1)
      sent.push({ route, headers: request.headers, body: bodyOf(request) })
      const reply = replies[Math.min(index, replies.length - 1)]!
      if ("drop" in reply) {
        return Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error(`connect ${reply.drop}`) })
        )
      }
      return Effect.succeed(respond(request, reply.status, "json" in reply ? JSON.stringify(reply.json) : reply.text))
    })
  )
  return {
    layer: Layer.succeed(HttpClient.HttpClient, client),
    sent,
    /** How many requests went to `route`. */
    count: (route: string) => sent.filter((s) => s.route === route).length
  }
}
