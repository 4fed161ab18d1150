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

/** An upstream service failed. `retryAfterMs` carries the service's own `Retry-After` when it gave one. */
export class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  service: Schema.Literal("llm", "search", "page", "arxiv", "openalex", "semantic_scholar"),
  kind: UpstreamFailure,
  message: Schema.String,
  retryAfterMs: Schema.NullOr(Schema.Number)
}) {}
