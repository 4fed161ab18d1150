import { connect, createServer, type Socket } from "node:net"
import { Effect, type Scope } from "effect"

/**
 * A TCP link on loopback to `target` (a `postgres://` URL's host and port) that a test can cut, as a network partition
 * would: `cut` destroys every connection through it and refuses new ones. `url` is `target` through the link.
 */
export const cuttableLink = (
  target: string
): Effect.Effect<{ readonly url: string; readonly cut: Effect.Effect<void> }, never, Scope.Scope> =>
  Effect.gen(function* () {
    const to = new URL(target)
    const sockets = new Set<Socket>()
    let open = true
    const server = createServer((inbound) => {
      if (!open) return inbound.destroy()
      const outbound = connect(Number(to.port || "5432"), to.hostname)
      for (const socket of [inbound, outbound]) {
        sockets.add(socket)
        socket.on("error", () => {})
        socket.on("close", () => sockets.delete(socket))
      }
      inbound.pipe(outbound).pipe(inbound)
    })
    const port = yield* Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
      })
    })
    const cut = Effect.sync(() => {
      open = false
      for (const socket of sockets) socket.destroy()
    })
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        cut,
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
      )
    )
    const url = new URL(target)
    url.hostname = "127.0.0.1"
    url.port = String(port)
    return { url: url.toString(), cut }
  })
