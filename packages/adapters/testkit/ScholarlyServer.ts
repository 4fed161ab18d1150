/**
 * What `FakeOpenAlex` and `FakeSemanticScholar` do before their routes: refuse a wrong key, refuse requests beyond the
 * rate window (logged as throttled), wait the latency, answer with the forced failure; and the handle a test steers
 * them with. Each API gives its own answers for these cases.
 */
import type * as Http from "node:http"
import { Effect, type Scope } from "effect"
import * as LocalServer from "./LocalServer"
import type { Person } from "./People"
import { rateWindow, type ScholarlyFake } from "./ScholarRecords"

/** What a test sets on a fake scholarly API (each fake has its defaults). */
export interface Options {
  readonly people?: ReadonlyArray<Person>
  /** The key requests carry. */
  readonly apiKey?: string
  /** Requests per (scaled) second before 429s (0: unlimited). */
  readonly requestsPerSecond?: number
  /** Latency of every answer (scaled). */
  readonly latencyMs?: number
}

export interface Answer {
  readonly status: number
  readonly body: unknown
  readonly headers?: Http.OutgoingHttpHeaders
}

export interface Gate {
  readonly apiKey: string
  /** 0: unlimited. */
  readonly requestsPerSecond: number
  readonly latencyMs: number
  /** Multiplies the rate window and the latency. */
  readonly scale: number
  /** What the adapter's base-URL setting should be, from the server's origin. */
  readonly url: (origin: string) => string
  /** The answer to a request the key refuses (null: it may go on). */
  readonly refuse: (request: LocalServer.LoggedRequest) => Answer | null
  readonly throttled: (waitMs: number) => Answer
  /** The answer while `setFailure(status)` holds. */
  readonly failed: (status: number) => Answer
  readonly route: (request: LocalServer.LoggedRequest) => Answer
}

const send = (response: Http.ServerResponse, answer: Answer) =>
  LocalServer.sendJson(response, answer.status, answer.body, answer.headers)

export const make = (gate: Gate): Effect.Effect<ScholarlyFake, never, Scope.Scope> => {
  const window = rateWindow(gate.requestsPerSecond, 1000 * gate.scale)
  let failure: number | null = null
  const accepted: Array<LocalServer.LoggedRequest> = []
  const throttled: Array<LocalServer.LoggedRequest> = []

  return LocalServer.make(async (entry, response: Http.ServerResponse) => {
    const refused = gate.refuse(entry)
    if (refused !== null) {
      send(response, refused)
      return
    }
    const admitted = window.admit(entry.at)
    if (!admitted.ok) {
      throttled.push(entry)
      send(response, gate.throttled(admitted.waitMs))
      return
    }
    accepted.push(entry)
    await LocalServer.delay(gate.latencyMs * gate.scale, response)
    if (failure !== null) {
      send(response, gate.failed(failure))
      return
    }
    send(response, gate.route(entry))
  }).pipe(
    Effect.map((server) => ({
      ...server,
      url: gate.url(server.origin),
      apiKey: gate.apiKey,
      accepted: () => accepted,
      throttled: () => throttled,
      setFailure: (status: number | null) => {
        failure = status
      },
      reset: () => {
        failure = null
        window.reset()
        accepted.length = 0
        throttled.length = 0
        server.log.clear()
      }
    }))
  )
}
