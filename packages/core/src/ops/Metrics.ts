/**
 * The service's metrics, recorded where things happen (worker attempts, pipeline steps, upstream adapters) and
 * rendered at `GET /metrics` in Prometheus text. Names follow Prometheus conventions: `_total` counters, `_seconds`
 * histograms. Label values are from small closed sets (outcomes, steps, upstreams, model names).
 */
import { Effect, Metric, MetricBoundaries } from "effect"
import type { PipelineStep } from "../pipeline/PipelineStep"
import type { UpstreamError } from "../upstream/UpstreamError"

export type Upstream = UpstreamError["service"]

/** Seconds: 50 ms to 5 min. */
const durationBuckets = MetricBoundaries.fromIterable([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300])

/** How an attempt ended: `completed`, `failed` (for good), `retried`, `lease_lost`, `stopped` (shutdown). */
export type AttemptOutcome = "completed" | "failed" | "retried" | "lease_lost" | "stopped"

export const jobAttempts = Metric.counter("scribe_job_attempts_total", {
  description: "Job attempts run by this process's workers, by how they ended.",
  incremental: true
})

export const jobRetries = Metric.counter("scribe_job_retries_total", {
  description: "Attempts that failed transiently and put their job back in line for another attempt.",
  incremental: true
})

export const jobsFinished = Metric.counter("scribe_jobs_finished_total", {
  description: "Jobs settled by this process's workers, by final status (completed or failed).",
  incremental: true
})

export const jobDuration = Metric.histogram(
  "scribe_job_duration_seconds",
  durationBuckets,
  "Seconds from a job's first attempt start to its final status (retries and back-off included), by status."
)

export const attemptDuration = Metric.histogram(
  "scribe_job_attempt_duration_seconds",
  durationBuckets,
  "Seconds one job attempt ran, by outcome."
)

export const stepDuration = Metric.histogram(
  "scribe_pipeline_step_duration_seconds",
  durationBuckets,
  "Seconds a pipeline step took when it completed, by step."
)

export const upstreamCalls = Metric.counter("scribe_upstream_calls_total", {
  description: "Calls to upstream services (llm, search, page, arxiv), by outcome (ok or the failure kind).",
  incremental: true
})

export const upstreamRateLimited = Metric.counter("scribe_upstream_rate_limited_total", {
  description: "HTTP 429 answers from upstream services, by upstream.",
  incremental: true
})

export const llmTokens = Metric.counter("scribe_llm_tokens_total", {
  description: "Language-model tokens spent, by model and type (prompt or completion).",
  incremental: true
})

/** Counts one job attempt ending and records its duration. */
export const recordAttempt = (outcome: AttemptOutcome, seconds: number) =>
  Effect.all([
    Metric.increment(Metric.tagged(jobAttempts, "outcome", outcome)),
    Metric.update(Metric.tagged(attemptDuration, "outcome", outcome), Math.max(0, seconds)),
    outcome === "retried" ? Metric.increment(jobRetries) : Effect.void
  ]).pipe(Effect.asVoid)

/** Counts a job reaching its final status; `seconds` since its first attempt started. */
export const recordJobFinished = (status: "completed" | "failed", seconds: number) =>
  Effect.all([
    Metric.increment(Metric.tagged(jobsFinished, "status", status)),
    Metric.update(Metric.tagged(jobDuration, "status", status), Math.max(0, seconds))
  ]).pipe(Effect.asVoid)

export const recordStep = (step: PipelineStep, seconds: number) =>
  Metric.update(Metric.tagged(stepDuration, "step", step), Math.max(0, seconds))

export const recordRateLimited = (upstream: Upstream) =>
  Metric.increment(Metric.tagged(upstreamRateLimited, "upstream", upstream))

export const recordTokens = (model: string, promptTokens: number, completionTokens: number) =>
  Effect.all([
    Metric.incrementBy(tokens(model, "prompt"), Math.max(0, promptTokens)),
    Metric.incrementBy(tokens(model, "completion"), Math.max(0, completionTokens))
  ]).pipe(Effect.asVoid)

const tokens = (model: string, type: "prompt" | "completion") =>
  llmTokens.pipe(Metric.tagged("model", model), Metric.tagged("type", type))

/**
 * One upstream call: counted by outcome, within a span annotated with the upstream's name. The span is the caller's
 * (an adapter method's `Effect.fn`); attributes never carry request or response content.
 */
export const trackUpstream =
  (upstream: Upstream) =>
  <A, R>(self: Effect.Effect<A, UpstreamError, R>): Effect.Effect<A, UpstreamError, R> =>
    Effect.annotateCurrentSpan("upstream", upstream).pipe(
      Effect.zipRight(self),
      Effect.tapBoth({
        onSuccess: () =>
          Effect.zipRight(
            Effect.annotateCurrentSpan("upstream.outcome", "ok"),
            Metric.increment(upstreamCall(upstream, "ok"))
          ),
        onFailure: (error) =>
          Effect.zipRight(
            Effect.annotateCurrentSpan("upstream.outcome", error.kind),
            Metric.increment(upstreamCall(upstream, error.kind))
          )
      })
    )

const upstreamCall = (upstream: Upstream, outcome: string) =>
  upstreamCalls.pipe(Metric.tagged("upstream", upstream), Metric.tagged("outcome", outcome))
