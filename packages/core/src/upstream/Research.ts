import type { Effect } from "effect"
import { Context, Schema } from "effect"
import type { UpstreamError } from "./UpstreamError"

export class SearchHit extends Schema.Class<SearchHit>("SearchHit")({
  url: Schema.String,
  title: Schema.String,
  snippet: Schema.String
}) {}

/** A web search engine. */
export class WebSearch extends Context.Tag("@scribe/core/WebSearch")<
  WebSearch,
  { readonly search: (query: string, limit: number) => Effect.Effect<ReadonlyArray<SearchHit>, UpstreamError> }
>() {}

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

export class Paper extends Schema.Class<Paper>("Paper")({
  /** arXiv id, e.g. `2301.01234v2`. */
  id: Schema.String,
  title: Schema.String,
  authors: Schema.Array(Schema.String),
  summary: Schema.String,
  published: Schema.DateFromSelf,
  url: Schema.String
}) {}

/** The arXiv API: papers by an author, optionally about a topic, newest first. */
export class Arxiv extends Context.Tag("@scribe/core/Arxiv")<
  Arxiv,
  {
    readonly searchByAuthor: (query: {
      readonly author: string
      readonly topic: string | null
      readonly maxResults: number
    }) => Effect.Effect<ReadonlyArray<Paper>, UpstreamError>
  }
>() {}
