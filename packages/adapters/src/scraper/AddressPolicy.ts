import * as Dns from "node:dns"
import * as Net from "node:net"
import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { Config, Effect } from "effect"
import ipaddr from "ipaddr.js"

/**
 * Where the page scraper may connect: public unicast addresses of http(s) URLs without credentials, never a name that
 * only ever means an internal host. The scraper asks before every hop, redirects included, and connects to the
 * address checked here, never to the name resolved again (docs/scraping.md).
 */

/** Resolves a hostname to every address it has. */
export type Resolve = (hostname: string) => Promise<ReadonlyArray<string>>

/** `SCRIBE_ALLOW_PRIVATE_FETCH` (default false): fetch loopback, private and link-local targets too (tests only). */
export const allowPrivateConfig: Config.Config<boolean> = Config.boolean("SCRIBE_ALLOW_PRIVATE_FETCH").pipe(
  Config.withDefault(false)
)

export const systemResolve: Resolve = (hostname) =>
  Dns.promises.lookup(hostname, { all: true, verbatim: true }).then((all) => all.map((a) => a.address))

const blockedHostnames = new Set([
  "localhost",
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
  "metadata.tencentyun.com",
  "metadata.packet.net"
])
const blockedSuffixes = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa"]

const globalUnicastV6 = ipaddr.IPv6.parseCIDR("2000::/3")

/**
 * Why connecting to this IP address is refused, or `null` when it is a public unicast address. IPv4-mapped and
 * IPv4-embedding IPv6 forms (`::ffff:a.b.c.d`, `::a.b.c.d`, 64:ff9b::/96, 6to4, Teredo) are refused outright.
 */
export const forbiddenAddress = (address: string): string | null => {
  const text = address.replace(/^\[|\]$/g, "")
  if (!Net.isIP(text.replace(/%.*$/, ""))) return `"${address}" is not an IP address`
  const parsed = ipaddr.parse(text)
  if (parsed.kind() === "ipv4") {
    const range = parsed.range()
    return range === "unicast" ? null : `${text} is a ${range} address`
  }
  const v6 = ipaddr.IPv6.parse(text)
  const range = v6.range()
  if (range !== "unicast") return `${text} is a ${range} IPv6 address`
  if (!v6.match(globalUnicastV6)) return `${text} is not a global unicast IPv6 address`
  return null
}

/** Why a hostname is refused before it is even resolved (names that only ever mean internal hosts). */
export const forbiddenHostname = (hostname: string): string | null => {
  const name = hostname.toLowerCase().replace(/\.+$/, "")
  if (blockedHostnames.has(name) || blockedSuffixes.some((suffix) => name.endsWith(suffix))) {
    return `${hostname} is an internal host name`
  }
  return null
}

const failure = (kind: UpstreamFailure, message: string) =>
  new UpstreamError({ service: "page", kind, message, retryAfterMs: null })

/** How a refusal reads: a URL of another scheme, or a host name or address refused for `reason`. */
export interface Wording {
  readonly scheme: (url: URL) => string
  readonly refused: (url: URL, reason: string, by: "hostname" | "address") => string
}

/** The page scraper's wording. */
export const pageWording: Wording = {
  scheme: (url) => `${url.protocol} URLs are not fetched`,
  refused: (url, reason, by) => (by === "hostname" ? reason : `${url.host} refused: ${reason}`)
}

export interface Options {
  /** Allow loopback, private and link-local targets too (tests and local development only). */
  readonly allowPrivate: boolean
  readonly resolve?: Resolve
  /** Default: `pageWording`. */
  readonly wording?: Wording
}

/**
 * The address to connect to for `url`: every address its name resolves to must be allowed, and the connection goes to
 * one of them. Fails `blocked` for a refused URL, `not_found` for a name without an address.
 */
export const make = (options: Options): ((url: URL) => Effect.Effect<string, UpstreamError>) => {
  const resolve = options.resolve ?? systemResolve
  const wording = options.wording ?? pageWording
  return (url) =>
    Effect.gen(function* () {
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return yield* failure("blocked", wording.scheme(url))
      }
      if (url.username !== "" || url.password !== "") {
        return yield* failure("blocked", "URLs with credentials are not fetched")
      }
      const host = url.hostname.replace(/^\[|\]$/g, "")
      const literal = Net.isIP(host) !== 0
      if (!options.allowPrivate && !literal) {
        const reason = forbiddenHostname(host)
        if (reason !== null) return yield* failure("blocked", wording.refused(url, reason, "hostname"))
      }
      const addresses = literal
        ? [host]
        : yield* Effect.tryPromise({
            try: () => resolve(host),
            catch: (error) => {
              const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""
              const message = `${url.href}: ${error instanceof Error ? error.message : String(error)}`
              return failure(code === "ENOTFOUND" ? "not_found" : "unavailable", message)
            }
          })
      if (addresses.length === 0) return yield* failure("not_found", `${host} has no address`)
      if (!options.allowPrivate) {
        for (const address of addresses) {
          const reason = forbiddenAddress(address)
          if (reason !== null) return yield* failure("blocked", wording.refused(url, reason, "address"))
        }
      }
      // IPv4 first: loopback test servers and many hosts listen on IPv4 only.
      return addresses.find((a) => Net.isIPv4(a)) ?? addresses[0]!
    })
}
