import { Schema } from "effect"

/**
 * Why an upstream call (LLM, search, page, a scholarly source) failed. Transient kinds may succeed on retry; the others will not.
 */
export const UpstreamFailure = Schema.Literal(
  "rate_limited",
  "timeout",
  "unavailable",
  "malformed_response",
  "auth",
  "quota",
  "invalid_request",
  "blocked",
  "not_found"
)
export type UpstreamFailure = typeof UpstreamFailure.Type

const transientKinds: ReadonlySet<UpstreamFailure> = new Set([
  "rate_limited",
  "timeout",
  "unavailable",
  "malformed_response"
])

export const isTransient = (kind: UpstreamFailure): boolean => transientKinds.has(kind)

/**
 * An upstream service failed. `retryAfterMs` carries the service's own `Retry-After` when it gave one. `message` is
 * the upstream's or the transport's own words (for logs: it may name hosts, ports, errno codes); `hint`, when set, is
 * a plain-words reason safe to show users ("no search engine is configured").
 */
export class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  service: Schema.Literal("llm", "search", "page", "arxiv", "openalex", "semantic_scholar"),
  kind: UpstreamFailure,
  message: Schema.String,
  retryAfterMs: Schema.NullOr(Schema.Number),
  hint: Schema.optional(Schema.String)
}) {}
