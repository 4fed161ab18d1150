import type { Effect } from "effect"
import { Context, Schema } from "effect"
import { Paper, PaperSource } from "./Paper"
import type { UpstreamError } from "./UpstreamError"

/** Someone a source lists under a name: the identity it gives them, where they work, and their recent works. */
export class AuthorCandidate extends Schema.Class<AuthorCandidate>("AuthorCandidate")({
  source: PaperSource,
  /** The source's author id (OpenAlex `A5023888391`, Semantic Scholar `1741101`); for arXiv the name searched. */
  id: Schema.String,
  name: Schema.String,
  alternativeNames: Schema.Array(Schema.String),
  /** Institutions, most recent first. */
  affiliations: Schema.Array(Schema.String),
  /** Bare ORCID iD, `0000-0002-1825-0097`. */
  orcid: Schema.NullOr(Schema.String),
  /** The author's page at the source. */
  url: Schema.NullOr(Schema.String),
  topics: Schema.Array(Schema.String),
  /**
   * The source has no author identities (arXiv): `works` are papers listing an author by this name, who may be
   * several people.
   */
  nameOnly: Schema.Boolean,
  /** Recent works, newest first. */
  works: Schema.Array(Paper)
}) {}

/** Who to look up: the name without titles, and the interest the sender gave. */
export interface AuthorQuery {
  readonly name: string
  readonly interest: string
}

export interface LookupOptions {
  /** Works published before this date are not needed. */
  readonly since: Date
  /** Works per author at most, newest first. */
  readonly maxWorks: number
}

/**
 * A bibliographic source that knows authors: OpenAlex, Semantic Scholar, arXiv. `lookup` answers a group of queries
 * at once (in as few requests as the source's API allows) with each query's candidates, in the queries' order.
 */
export interface ScholarlySource {
  readonly name: PaperSource
  /** Queries one `lookup` takes at most. */
  readonly maxGroup: number
  /** Lookups under way at once (each one group). */
  readonly concurrency: number
  /** What makes two queries the same to this source (its cache key). */
  readonly keyOf: (query: AuthorQuery) => string
  readonly lookup: (
    queries: ReadonlyArray<AuthorQuery>,
    options: LookupOptions
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<AuthorCandidate>>, UpstreamError>
}

/** The scholarly sources the pipeline consults, in order (`SCRIBE_SCHOLARLY_SOURCES`). */
export class ScholarlySources extends Context.Tag("@scribe/core/ScholarlySources")<
  ScholarlySources,
  { readonly sources: ReadonlyArray<ScholarlySource> }
>() {}

/** An author candidate and its works as JSON, for the author cache. */
export const CandidatesJson = Schema.parseJson(Schema.Array(AuthorCandidate))
