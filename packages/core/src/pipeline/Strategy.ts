/** What differs between composing with a model and without: analysing the template, reading facts, composing. */
import type { Effect } from "effect"
import type { GenerationFailed } from "../jobs/Generator"
import type { Job } from "../jobs/Job"
import type { Page } from "../upstream/Scraper"
import type { SearchHit } from "../upstream/WebSearch"
import * as DeterministicComposer from "./DeterministicComposer"
import type { Evidence, Fact } from "./Evidence"
import type { CheckAttempt } from "./GenerationMetadata"
import { allPassed, type CheckResult, checkEmail, failureReasons, type GroundingContext, sanitise } from "./Grounding"
import type { Run } from "./RunBookkeeping"
import type { TemplateAnalysis } from "./TemplateAnalysis"

export interface AnalysisOutcome {
  readonly analysis: TemplateAnalysis
  readonly cached: boolean
}

export interface FactsInput {
  readonly name: string
  readonly interest: string
  readonly analysis: TemplateAnalysis
  readonly hits: ReadonlyArray<SearchHit>
  readonly pages: ReadonlyArray<Page>
  /** Every URL this job saw: search results, requested and final page URLs. */
  readonly seenUrls: ReadonlyArray<string>
}

export interface ComposeInput {
  readonly job: Job
  /** The recipient's name without titles. */
  readonly name: string
  readonly analysis: TemplateAnalysis
  readonly evidence: Evidence
  readonly grounding: GroundingContext
}

export interface Composition {
  readonly email: string
  /** Checks of the stored text. */
  readonly results: ReadonlyArray<CheckResult>
  /** The stored text is a draft that passed every check as written. */
  readonly passed: boolean
  readonly attempts: ReadonlyArray<CheckAttempt>
  readonly sanitised: boolean
}

export interface Strategy {
  readonly composer: "llm" | "deterministic"
  readonly analyse: (template: string, run: Run) => Effect.Effect<AnalysisOutcome, GenerationFailed>
  readonly extractFacts: (input: FactsInput, run: Run) => Effect.Effect<ReadonlyArray<Fact>, GenerationFailed>
  readonly compose: (input: ComposeInput, run: Run) => Effect.Effect<Composition, GenerationFailed>
}

/** The deterministic composer over this job's evidence: the whole template, or one placeholder. */
export const fillFor = (input: ComposeInput) => {
  const fillInput: DeterministicComposer.FillInput = {
    recipientName: input.job.recipientName,
    interest: input.job.recipientInterest,
    analysis: input.analysis,
    evidence: input.evidence
  }
  const needs = new Map(input.analysis.placeholders.map((p) => [p.name, p]))
  return {
    template: (template: string) => DeterministicComposer.fill(template, fillInput),
    placeholder: (name: string) =>
      DeterministicComposer.fillValue(needs.get(name) ?? { name, kind: "other", needs: "" }, fillInput)
  }
}

/**
 * Checks a draft; a failing last draft is sanitised (and flagged by `passed: false`). One that only leaves things to
 * fill in is kept as it is, flagged: there is nothing to remove.
 */
export const finish = (
  draft: string,
  input: ComposeInput,
  attempts: ReadonlyArray<CheckAttempt>,
  results: ReadonlyArray<CheckResult>
): Composition => {
  if (allPassed(results)) return { email: draft, results, passed: true, attempts, sanitised: false }
  if (results.every((r) => r.passed || r.check === "nothing_to_fill_in")) {
    return { email: draft, results, passed: false, attempts, sanitised: false }
  }
  const email = sanitise(draft, input.grounding, fillFor(input).placeholder)
  return { email, results: checkEmail(email, input.grounding), passed: false, attempts, sanitised: true }
}

export const attemptOf = (attempt: number, results: ReadonlyArray<CheckResult>): CheckAttempt => ({
  attempt,
  passed: allPassed(results),
  failed: results.filter((r) => !r.passed).map((r) => r.check),
  problems: failureReasons(results)
})
