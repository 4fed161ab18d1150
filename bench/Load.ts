/**
 * The benchmarks' load generator: a small HTTP client with keep-alive sockets, and a closed loop of callers.
 */
import * as Http from "node:http"

export interface HttpReply {
  readonly status: number
  readonly body: string
}

/** A keep-alive client for one origin: sockets are reused, so a request measures the server, not the handshake. */
export const httpClient = (origin: string, options: { readonly maxSockets?: number } = {}) => {
  const url = new URL(origin)
  const agent = new Http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 })
  const request = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string
  ): Promise<HttpReply> =>
    new Promise((resolve, reject) => {
      const req = Http.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }
        },
        (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (chunk: Buffer) => chunks.push(chunk))
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
          res.on("error", reject)
        }
      )
      req.on("error", reject)
      req.end(body)
    })
  return {
    request,
    get: (path: string, token: string) => request("GET", path, { authorization: `Bearer ${token}` }),
    post: (path: string, token: string, json: unknown) =>
      request("POST", path, { authorization: `Bearer ${token}` }, JSON.stringify(json)),
    close: () => agent.destroy()
  }
}

export type HttpClient = ReturnType<typeof httpClient>

/**
 * A closed loop: `concurrency` callers each run `call` back to back for `durationMs` (after `warmupMs` not counted).
 * Latencies in ms of the calls that completed in the measured window, failures counted.
 */
export const closedLoop = async (
  call: () => Promise<boolean>,
  options: { readonly concurrency: number; readonly durationMs: number; readonly warmupMs?: number }
): Promise<{ readonly latencies: ReadonlyArray<number>; readonly errors: number; readonly throughput: number }> => {
  const latencies: Array<number> = []
  let errors = 0
  const warmupEnd = performance.now() + (options.warmupMs ?? 0)
  const end = warmupEnd + options.durationMs
  const caller = async () => {
    while (performance.now() < end) {
      const start = performance.now()
      let ok = false
      try {
        ok = await call()
      } catch {
        ok = false
      }
      const finished = performance.now()
      if (start >= warmupEnd && finished <= end) {
        if (ok) latencies.push(finished - start)
        else errors++
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, caller))
  return { latencies, errors, throughput: (latencies.length + errors) / (options.durationMs / 1000) }
}
