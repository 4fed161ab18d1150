import type { Effect } from "effect"
import { Context, Schema } from "effect"
import type { UpstreamError } from "./UpstreamError"

/** A fetched page's readable text (hidden elements and markup removed). The text is untrusted data. */
export class Page extends Schema.Class<Page>("Page")({
  /** The final URL, after redirects. */
  url: Schema.String,
  title: Schema.String,
  text: Schema.String
}) {}

/** Fetches pages safely (public http/https only, size and time bounded) and extracts their text. */
export class Scraper extends Context.Tag("@scribe/core/Scraper")<
  Scraper,
  { readonly fetchPage: (url: string) => Effect.Effect<Page, UpstreamError> }
>() {}
