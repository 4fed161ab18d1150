import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import { Effect, Option } from "effect"

/** The user the printed dev token and the console's local sign-in both stand for. */
export const devUser = { id: "00000000-0000-4000-8000-000000000001", email: "dev@localhost" } as const

const loopbackV4 = /^127(\.\d{1,3}){3}$/

/** A socket address on this machine: 127.0.0.0/8, ::1, or 127.x mapped into IPv6. */
export const isLoopbackAddress = (address: string): boolean => {
  const a = address.toLowerCase()
  return a === "::1" || loopbackV4.test(a) || (a.startsWith("::ffff:") && loopbackV4.test(a.slice(7)))
}

const hostPart = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/

/** A `Host` header naming this machine by a loopback name or address (`localhost:8000`, `127.0.0.1`, `[::1]:8000`). */
export const isLoopbackHost = (host: string): boolean => {
  const m = hostPart.exec(host.trim().toLowerCase())
  if (m === null) return false
  const name = m[1] ?? m[2] ?? ""
  return name === "localhost" || name.endsWith(".localhost") || isLoopbackAddress(name)
}

/** An `Origin` on a loopback host, over http(s). `null` (opaque origins) is not one. */
export const isLoopbackOrigin = (origin: string): boolean => {
  try {
    const url = new URL(origin)
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.host)
  } catch {
    return false
  }
}

/**
 * Whether a request may have a dev session: it came over a loopback socket (the raw socket's address, not one a
 * forwarding header could have rewritten), through no proxy, naming a loopback host, and — when a browser sent an
 * `Origin` — from a loopback page. The `Host` check defeats DNS rebinding: a foreign name resolved to 127.0.0.1
 * still arrives with that name.
 */
export const isLocalRequest = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const socketAddress = NodeHttpServerRequest.toIncomingMessage(request).socket.remoteAddress
  const { host, origin } = request.headers
  const forwarded = request.headers.forwarded ?? request.headers["x-forwarded-for"] ?? request.headers["x-real-ip"]
  return (
    socketAddress !== undefined &&
    isLoopbackAddress(socketAddress) &&
    forwarded === undefined &&
    host !== undefined &&
    isLoopbackHost(host) &&
    (origin === undefined || isLoopbackOrigin(origin))
  )
}

const notFound = HttpServerResponse.json({ detail: "Not Found" }, { status: 404 })

/**
 * `POST /api/dev/session`: a token for the dev user, for the console's one-click local sign-in. It exists only while
 * the service signs with its own dev secret (no Supabase configured, not production) and answers only local
 * requests (`isLocalRequest`); everywhere else it is 404, as if it were not there. The token is the one `pnpm start`
 * prints: whoever can read this machine's terminal or data folder has it already.
 */
export const DevSessionLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const dev = yield* SupabaseAuth.DevAuth
    yield* router.post(
      "/api/dev/session",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (Option.isNone(dev.mintToken) || !isLocalRequest(request)) return yield* notFound
        const token = yield* dev.mintToken.value(devUser)
        return yield* HttpServerResponse.json(
          { access_token: token, token_type: "bearer", user: devUser },
          { headers: { "cache-control": "no-store" } }
        )
      }).pipe(Effect.orDie)
    )
  })
)
