import type { TemplateType } from "../templates/Template"
import type { Paper, PaperSource } from "../upstream/Paper"
import type { AuthorDecision } from "./AuthorDisambiguation"
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
  /** The verified papers handed to the composer, best first: where each came from, and where else it is listed. */
  readonly papers_used: ReadonlyArray<{
    readonly title: string
    readonly source: PaperSource
    /** The source's id for it (an arXiv id with its version, an OpenAlex work id, a Semantic Scholar paper id). */
    readonly id: string
    readonly url: string
    readonly doi: string | null
    readonly arxiv_id: string | null
    readonly published: string
    readonly authors: ReadonlyArray<string>
    readonly also_in: ReadonlyArray<{ readonly source: PaperSource; readonly id: string; readonly url: string }>
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
    /** Papers of other authors by the recipient's name (namesakes, or authors that could not be told apart). */
    readonly papers_excluded_namesake: number
  }
  /** Who the recipient is in the scholarly sources, and why (see docs/pipeline.md, "Disambiguation"). */
  readonly author: {
    readonly status: "resolved" | "ambiguous" | "unknown"
    readonly source: PaperSource | null
    readonly id: string | null
    readonly name: string | null
    readonly orcid: string | null
    readonly affiliations: ReadonlyArray<string>
    /** The chosen person's records in every source that lists them. */
    readonly identities: ReadonlyArray<{ readonly source: PaperSource; readonly id: string }>
    readonly reason: string
    /** What the web pages said: institutions and ORCID iDs where the recipient is mentioned. */
    readonly web_institutions: ReadonlyArray<string>
    readonly web_orcids: ReadonlyArray<string>
    readonly candidates: ReadonlyArray<{
      readonly source: PaperSource
      readonly id: string
      readonly name: string
      readonly affiliations: ReadonlyArray<string>
      readonly orcid: string | null
      readonly verdict: "chosen" | "elsewhere" | "not_told_apart" | "other"
    }>
  }
  /** Which scholarly sources were asked about the recipient, in order, and how each answered. */
  readonly scholarly_sources: ReadonlyArray<{
    readonly source: PaperSource
    /** Answered from the author cache, without a request. */
    readonly cached: boolean
    readonly candidates: number
    readonly failed: boolean
  }>
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
  source: p.source,
  id: p.id,
  url: p.url,
  doi: p.doi,
  arxiv_id: p.source === "arxiv" ? p.id : p.arxivId,
  published: p.published.toISOString(),
  authors: p.authors,
  also_in: p.alsoIn.map((l) => ({ source: l.source, id: l.id, url: l.url }))
})

/** The disambiguation's outcome as stored. */
export const authorMetadata = (
  decision: AuthorDecision,
  clues: { readonly institutions: ReadonlyArray<string>; readonly orcids: ReadonlyArray<string> }
): GenerationMetadata["author"] => {
  const first = decision.chosen?.members[0] ?? null
  return {
    status: decision.status,
    source: first?.source ?? null,
    id: first?.id ?? null,
    name: first?.name ?? null,
    orcid: decision.chosen?.orcids[0] ?? null,
    affiliations: decision.chosen?.affiliations ?? [],
    identities: (decision.chosen?.members ?? []).map((m) => ({ source: m.source, id: m.id })),
    reason: decision.reason,
    web_institutions: clues.institutions,
    web_orcids: clues.orcids,
    candidates: decision.identities.flatMap(({ identity, verdict }) =>
      identity.members.map((m) => ({
        source: m.source,
        id: m.id,
        name: m.name,
        affiliations: m.affiliations,
        orcid: m.orcid,
        verdict
      }))
    )
  }
}

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
