import type { TemplateType } from "../templates/Template"
import type { Paper } from "../upstream/Paper"
import type { CheckName, CheckResult } from "./Grounding"
import type { PipelineStep, StepTimings } from "./PipelineStep"
import type { UsageEntry } from "./RunBookkeeping"

/** What is stored beside each email (`GeneratedEmail.metadata`), JSON-safe, snake_case. */
export type GenerationMetadata = {
  readonly composer: "llm" | "deterministic"
  /** Set for the deterministic composer: says the email was not written by a model. */
  readonly composer_label: string | null
  readonly template_type: TemplateType
  readonly template_analysis: {
    readonly source: "llm" | "heuristic"
    /** Served from the template cache: this job spent no tokens on it. */
    readonly cached: boolean
    readonly placeholders: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly needs: string }>
  }
  readonly recipient_name_searched: string
  /** The verified papers handed to the composer, best first. */
  readonly papers_used: ReadonlyArray<{
    readonly title: string
    readonly arxiv_id: string
    readonly url: string
    readonly published: string
    readonly authors: ReadonlyArray<string>
  }>
  /** Titles of `papers_used` that the email mentions. */
  readonly papers_cited: ReadonlyArray<string>
  readonly facts_used: ReadonlyArray<{ readonly statement: string; readonly source_url: string }>
  /** Web pages (and search results) the facts came from; paper links are in `papers_used`. */
  readonly sources: ReadonlyArray<string>
  /** Seconds. */
  readonly generation_time: number
  readonly step_timings: StepTimings
  /** Model per step that called one. */
  readonly models: Partial<Record<PipelineStep, string>>
  readonly token_usage: {
    readonly calls: ReadonlyArray<{
      readonly step: PipelineStep
      readonly model: string
      readonly prompt_tokens: number
      readonly completion_tokens: number
      readonly total_tokens: number
      readonly cached: boolean
    }>
    readonly totals: {
      readonly prompt_tokens: number
      readonly completion_tokens: number
      readonly total_tokens: number
    }
  }
  readonly checks: {
    /** The stored text is a draft that passed every check as written. */
    readonly passed: boolean
    /** The last draft failed and had offending sentences, links and placeholders removed. */
    readonly sanitised: boolean
    readonly regenerations: number
    /** Checks the last draft failed (empty when it passed). */
    readonly failed: ReadonlyArray<CheckName>
    /** Checks of the stored text. */
    readonly results: ReadonlyArray<CheckResult>
    readonly attempts: ReadonlyArray<CheckAttempt>
  }
  readonly evidence: {
    readonly search_queries: ReadonlyArray<string>
    readonly search_hits: number
    readonly pages_fetched: number
    readonly pages_failed: number
    readonly facts: number
    readonly papers_found: number
    readonly papers_verified: number
    readonly papers_excluded_not_author: number
    readonly papers_excluded_too_old: number
    readonly papers_excluded_irrelevant: number
  }
  /** Upstream failures that degraded the evidence, and fallbacks taken. */
  readonly warnings: ReadonlyArray<string>
  readonly confidence: { readonly is_confident: boolean; readonly reason: string }
}

/** One draft and how it fared against the checks. */
export interface CheckAttempt {
  readonly attempt: number
  readonly passed: boolean
  readonly failed: ReadonlyArray<CheckName>
  readonly problems: ReadonlyArray<string>
}

export const paperMetadata = (p: Paper): GenerationMetadata["papers_used"][number] => ({
  title: p.title,
  arxiv_id: p.id,
  url: p.url,
  published: p.published.toISOString(),
  authors: p.authors
})

/** Tokens per model call and in total; a reply served from the template cache counts no tokens for this job. */
export const usageMetadata = (entries: ReadonlyArray<UsageEntry>): GenerationMetadata["token_usage"] => {
  const calls = entries.map((e) => {
    const prompt = e.cached ? 0 : e.usage.promptTokens
    const completion = e.cached ? 0 : e.usage.completionTokens
    return {
      step: e.step,
      model: e.usage.model,
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      cached: e.cached
    }
  })
  const sum = (f: (c: (typeof calls)[number]) => number) => calls.reduce((n, c) => n + f(c), 0)
  return {
    calls,
    totals: {
      prompt_tokens: sum((c) => c.prompt_tokens),
      completion_tokens: sum((c) => c.completion_tokens),
      total_tokens: sum((c) => c.total_tokens)
    }
  }
}
