import type { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Effect } from "effect"
import type * as PlainHttp from "../upstream/PlainHttp"

/**
 * The hop-by-hop walk the page scraper and the PDF fetcher share: before every hop the URL's address is checked
 * (`AddressPolicy`) and the request connects to that address, redirects are followed one at a time, at most
 * `maxRedirects` of them.
 */

/** What one hop came to: a redirect to follow, or what was fetched. */
export type Hop<A> =
  | { readonly _tag: "Redirect"; readonly location: string }
  | { readonly _tag: "Done"; readonly value: A }

export const redirect = <A = never>(location: string): Hop<A> => ({ _tag: "Redirect", location })
export const done = <A>(value: A): Hop<A> => ({ _tag: "Done", value })

/** A 3xx answer (not 304) with somewhere to go. */
export const isRedirect = (head: PlainHttp.Head): boolean =>
  head.status >= 300 && head.status < 400 && head.status !== 304 && head.headers.location !== undefined

/** Where to connect for `url` once `address` was checked: there, on the URL's port, or where the test seam says. */
export const connectTarget = (
  url: URL,
  address: string,
  dial?: (address: string, port: number) => { readonly host: string; readonly port: number }
): { readonly host: string; readonly port: number } => {
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80
  return dial?.(address, port) ?? { host: address, port }
}

export interface Walk<A> {
  readonly maxRedirects: number
  /** The checked address to connect to for a URL. */
  readonly addressFor: (url: URL) => Effect.Effect<string, UpstreamError>
  readonly hop: (url: URL, address: string) => Effect.Effect<Hop<A>, UpstreamError>
  /** The failure once a redirect past `maxRedirects` is asked for. */
  readonly tooManyRedirects: () => UpstreamError
  /** The failure for a `Location` that is no URL, relative to `from`. */
  readonly invalidLocation: (from: URL) => UpstreamError
}

/** Follows hops from `start` until one is not a redirect. */
export const follow = <A>(walk: Walk<A>, start: URL): Effect.Effect<A, UpstreamError> =>
  Effect.gen(function* () {
    let url = start
    for (let redirects = 0; ; redirects++) {
      const result = yield* walk.hop(url, yield* walk.addressFor(url))
      if (result._tag === "Done") return result.value
      if (redirects >= walk.maxRedirects) return yield* walk.tooManyRedirects()
      if (!URL.canParse(result.location, url.href)) return yield* walk.invalidLocation(url)
      url = new URL(result.location, url)
    }
  })
