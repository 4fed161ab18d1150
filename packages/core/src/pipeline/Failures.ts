/**
 * The words for upstream failures: a job's failure when the model fails, a warning when research does. What users
 * see is plain words (which upstream, what went wrong); the upstream's own message — errno codes, hosts, ports — goes
 * to the logs and the current span (`logged`), never into an email's metadata or a task's error.
 */
import { Effect } from "effect"
import { GenerationFailed } from "../jobs/Generator"
import { isTransient, type UpstreamError } from "../upstream/UpstreamError"
import type { PipelineStep } from "./PipelineStep"

const failureTypes: Record<UpstreamError["kind"], string> = {
  rate_limited: "RateLimited",
  timeout: "Timeout",
  unavailable: "UpstreamUnavailable",
  malformed_response: "MalformedResponse",
  auth: "AuthenticationError",
  quota: "QuotaExceeded",
  invalid_request: "InvalidRequest",
  blocked: "Blocked",
  not_found: "NotFound"
}

const services: Record<UpstreamError["service"], string> = {
  llm: "Language model",
  search: "Web search",
  page: "Page fetch",
  arxiv: "arXiv",
  openalex: "OpenAlex",
  semantic_scholar: "Semantic Scholar"
}

const kinds: Record<UpstreamError["kind"], string> = {
  rate_limited: "rate limited the request",
  timeout: "timed out",
  unavailable: "was unavailable",
  malformed_response: "returned a malformed response",
  auth: "rejected the credentials",
  quota: "reported the quota exhausted",
  invalid_request: "rejected the request as invalid",
  blocked: "refused the request",
  not_found: "found nothing at the address"
}

/** An upstream failure as the job's failure: transient kinds are retried by the worker, after `Retry-After`. */
export const toGenerationFailed =
  (step: PipelineStep) =>
  (error: UpstreamError): GenerationFailed =>
    new GenerationFailed({
      message: `${services[error.service]} ${kinds[error.kind]} during ${step}`,
      type: failureTypes[error.kind],
      failedStep: step,
      transient: isTransient(error.kind),
      retryAfterMs: error.retryAfterMs
    })

/** An upstream failure as a warning in the email's metadata (research failures only lower the evidence). */
export const describeError = (error: UpstreamError): string =>
  `${services[error.service]} ${kinds[error.kind]}${error.hint === undefined ? "" : ` (${error.hint})`}`

/** The failure with the upstream's own words, for the logs and the current span. */
export const logged = (error: UpstreamError): Effect.Effect<void> =>
  Effect.zipRight(
    Effect.annotateCurrentSpan({
      "upstream.failure": error.kind,
      "upstream.failure.detail": error.message.slice(0, 500)
    }),
    Effect.logWarning(`${services[error.service]} ${kinds[error.kind]}: ${error.message}`)
  )
