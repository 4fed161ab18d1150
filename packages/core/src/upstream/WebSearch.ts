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
