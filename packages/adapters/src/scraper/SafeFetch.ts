import type { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Duration, type Effect } from "effect"
import * as PlainHttp from "../upstream/PlainHttp"
import * as AddressPolicy from "./AddressPolicy"

/**
 * What the page scraper and the PDF fetcher share before their first hop: their options, and the address policy, the
 * connection pool and the bounds made from them.
 */

export interface Options {
  /** Fetch loopback/private/link-local targets too (`SCRIBE_ALLOW_PRIVATE_FETCH`; tests only). */
  readonly allowPrivate: boolean
  /** Body size cap in bytes (each fetcher has its default). */
  readonly maxBytes?: number
  /** Redirects followed at most (default 5); each hop is checked like the first. */
  readonly maxRedirects?: number
  /** Time to establish a connection (default 5 s). */
  readonly connectTimeout?: Duration.DurationInput
  /** Time for the whole fetch, redirects included (each fetcher has its default). */
  readonly totalTimeout?: Duration.DurationInput
  /** Test seam: resolves a hostname to every address (default: the system resolver). */
  readonly resolve?: AddressPolicy.Resolve
  /** Test seam: where to really connect once an address has been checked. */
  readonly dial?: (address: string, port: number) => { readonly host: string; readonly port: number }
}

export interface Fetching {
  readonly maxRedirects: number
  readonly connectTimeoutMs: number
  readonly totalTimeout: Duration.Duration
  /** The checked address to connect to for a URL (`AddressPolicy`). */
  readonly addressFor: (url: URL) => Effect.Effect<string, UpstreamError>
  readonly client: PlainHttp.Client
}

export const make = (
  options: Options,
  defaults: {
    readonly totalTimeout: Duration.DurationInput
    /** How long an idle connection is kept for a redirect or the next fetch. */
    readonly idleConnectionMs: number
    readonly wording?: AddressPolicy.Wording
  }
): Fetching => ({
  maxRedirects: options.maxRedirects ?? 5,
  connectTimeoutMs: Duration.toMillis(options.connectTimeout ?? "5 seconds"),
  totalTimeout: Duration.decode(options.totalTimeout ?? defaults.totalTimeout),
  addressFor: AddressPolicy.make({
    allowPrivate: options.allowPrivate,
    ...(defaults.wording !== undefined ? { wording: defaults.wording } : {}),
    ...(options.resolve !== undefined ? { resolve: options.resolve } : {})
  }),
  client: PlainHttp.make({ idleTimeoutMs: defaults.idleConnectionMs })
})
