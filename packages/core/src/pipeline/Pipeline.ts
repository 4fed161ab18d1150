/**
 * The generation pipeline (DESIGN §4): template_parser, then web_scraper and arxiv_helper concurrently, then
 * email_composer with deterministic grounding checks. `layer` composes with a language model, `layerNoLlm` fills
 * templates mechanically and is never confident.
 *
 * Failure policy: search, page and arXiv failures only degrade the evidence (recorded in `warnings`); with nothing
 * learned the email is still written, honestly not confident. A job fails only on the language model: bad
 * credentials, quota, rate limits, timeouts, or drafts that never decode.
 */
import { Cache, Clock, Duration, Effect, Either, Equal, Fiber, Layer, Ref, Schema, type Tracer } from "effect"
import { type GeneratedEmail, GenerationFailed, Generator, type StepProgress } from "../jobs/Generator"
import type { Job } from "../jobs/Job"
import * as Metrics from "../ops/Metrics"
import type { TemplateType } from "../templates/Template"
import { Arxiv } from "../upstream/Arxiv"
import { Llm, type LlmUsage } from "../upstream/Llm"
import type { Paper } from "../upstream/Paper"
import { type Page, Scraper } from "../upstream/Scraper"
import { isTransient, type UpstreamError } from "../upstream/UpstreamError"
import { type SearchHit, WebSearch } from "../upstream/WebSearch"
import * as DeterministicComposer from "./DeterministicComposer"
import { type Evidence, type Fact, FactsReply } from "./Evidence"
import {
  allPassed,
  type CheckName,
  type CheckResult,
  checkEmail,
  failureReasons,
  type GroundingContext,
  sanitise,
  titleMentions
} from "./Grounding"
import { stripTitles } from "./Names"
import { selectPapers } from "./PaperSelection"
import type { PipelineStep, StepTimings } from "./PipelineStep"
import * as Prompts from "./Prompts"
import { analyseHeuristically, reconcile, type TemplateAnalysis, TemplateAnalysisReply } from "./TemplateAnalysis"
import { keepSourcedFacts, mentionFacts, mergeHits, queries } from "./WebResearch"

export interface Options {
  /** Results asked of the search engine per query. */
  readonly searchResultsPerQuery: number
  /** Pages fetched and read per recipient. */
  readonly maxPages: number
  /** Characters of each page shown to the model. */
  readonly maxPageChars: number
  readonly maxFacts: number
  /** Verified papers handed to the composer. */
  readonly maxPapers: number
  /** Papers asked of arXiv before verification. */
  readonly arxivMaxResults: number
  /** Papers older than this are not cited. */
  readonly recencyYears: number
  /** Drafts written again after failing a check, before the last one is sanitised and flagged. */
  readonly maxRegenerations: number
  /** Extra tries for a model reply that does not decode, per call. */
  readonly malformedRetries: number
  /** Pages fetched at once. */
  readonly fetchConcurrency: number
  /** Facts that make an email confident when no paper was verified. */
  readonly minFactsForConfidence: number
  readonly minEmailLength: number
  readonly maxEmailLength: number
  readonly templateCacheCapacity: number
  readonly templateCacheTtl: Duration.DurationInput
}

export const defaultOptions: Options = {
  searchResultsPerQuery: 8,
  maxPages: 3,
  maxPageChars: 8000,
  maxFacts: 12,
  maxPapers: 5,
  arxivMaxResults: 30,
  recencyYears: 10,
  maxRegenerations: 2,
  malformedRetries: 2,
  fetchConcurrency: 3,
  minFactsForConfidence: 2,
  minEmailLength: 50,
  maxEmailLength: 5000,
  templateCacheCapacity: 256,
  templateCacheTtl: Duration.hours(24)
}

/** The structured reply asked of the model for `email_composer` (schema name `email_draft`). */
export const EmailDraft = Schema.Struct({ email: Schema.String })

export const schemaNames = {
  template_parser: "template_analysis",
  web_scraper: "web_facts",
  email_composer: "email_draft"
} as const

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

// ---------------------------------------------------------------------------------------------------------------
// Errors

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
  arxiv: "arXiv"
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
      message: `${services[error.service]} ${kinds[error.kind]} during ${step}: ${error.message.slice(0, 300)}`,
      type: failureTypes[error.kind],
      failedStep: step,
      transient: isTransient(error.kind),
      retryAfterMs: error.retryAfterMs
    })

// ---------------------------------------------------------------------------------------------------------------
// One generation's bookkeeping

interface UsageEntry {
  readonly step: PipelineStep
  readonly usage: LlmUsage
  /** The reply came from the template cache: no tokens were spent by this job. */
  readonly cached: boolean
}

interface Run {
  /** Runs a step between "started" and "completed" progress events, recording its duration. */
  readonly step: <A, E>(step: PipelineStep, effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  readonly status: (step: PipelineStep, status: string) => Effect.Effect<void>
  readonly recordUsage: (step: PipelineStep, usage: LlmUsage, cached?: boolean) => Effect.Effect<void>
  readonly warn: (warning: string) => Effect.Effect<void>
  readonly timings: Effect.Effect<StepTimings>
  readonly usage: Effect.Effect<ReadonlyArray<UsageEntry>>
  readonly warnings: Effect.Effect<ReadonlyArray<string>>
}

const seconds = (ms: number) => Math.round(ms) / 1000

const makeRun = (progress: (p: StepProgress) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const timings = yield* Ref.make<StepTimings>({})
    const usage = yield* Ref.make<ReadonlyArray<UsageEntry>>([])
    const warnings = yield* Ref.make<ReadonlyArray<string>>([])
    const status = (step: PipelineStep, stepStatus: string) =>
      Effect.flatMap(Ref.get(timings), (stepTimings) => progress({ step, stepStatus, stepTimings }))
    const run: Run = {
      step: (step, effect) =>
        Effect.gen(function* () {
          yield* status(step, "started")
          const start = yield* Clock.currentTimeMillis
          const value = yield* effect
          const elapsed = seconds((yield* Clock.currentTimeMillis) - start)
          yield* Metrics.recordStep(step, elapsed)
          const stepTimings = yield* Ref.updateAndGet(timings, (t): StepTimings => ({ ...t, [step]: elapsed }))
          yield* progress({ step, stepStatus: "completed", stepTimings })
          return value
        }).pipe(Effect.withSpan(`Pipeline.${step}`, { attributes: { "pipeline.step": step } })),
      status,
      recordUsage: (step, u, cached = false) => Ref.update(usage, (all) => [...all, { step, usage: u, cached }]),
      warn: (warning) => Ref.update(warnings, (all) => [...all, warning]),
      timings: Ref.get(timings),
      usage: Ref.get(usage),
      warnings: Ref.get(warnings)
    }
    return run
  })

// ---------------------------------------------------------------------------------------------------------------
// What differs between composing with a model and without

interface AnalysisOutcome {
  readonly analysis: TemplateAnalysis
  readonly cached: boolean
}

interface FactsInput {
  readonly name: string
  readonly interest: string
  readonly analysis: TemplateAnalysis
  readonly hits: ReadonlyArray<SearchHit>
  readonly pages: ReadonlyArray<Page>
  /** Every URL this job saw: search results, requested and final page URLs. */
  readonly seenUrls: ReadonlyArray<string>
}

interface ComposeInput {
  readonly job: Job
  readonly analysis: TemplateAnalysis
  readonly evidence: Evidence
  readonly grounding: GroundingContext
}

export interface CheckAttempt {
  readonly attempt: number
  readonly passed: boolean
  readonly failed: ReadonlyArray<CheckName>
  readonly problems: ReadonlyArray<string>
}

interface Composition {
  readonly email: string
  /** Checks of the stored text. */
  readonly results: ReadonlyArray<CheckResult>
  /** The stored text is a draft that passed every check as written. */
  readonly passed: boolean
  readonly attempts: ReadonlyArray<CheckAttempt>
  readonly sanitised: boolean
}

interface Strategy {
  readonly composer: "llm" | "deterministic"
  readonly analyse: (template: string, run: Run) => Effect.Effect<AnalysisOutcome, GenerationFailed>
  readonly extractFacts: (input: FactsInput, run: Run) => Effect.Effect<ReadonlyArray<Fact>, GenerationFailed>
  readonly compose: (input: ComposeInput, run: Run) => Effect.Effect<Composition, GenerationFailed>
}

const fillFor = (input: ComposeInput) => {
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

/** Checks a draft; a failing last draft is sanitised (and flagged by `passed: false`). */
const finish = (
  draft: string,
  input: ComposeInput,
  attempts: ReadonlyArray<CheckAttempt>,
  results: ReadonlyArray<CheckResult>
): Composition => {
  if (allPassed(results)) return { email: draft, results, passed: true, attempts, sanitised: false }
  const email = sanitise(draft, input.grounding, fillFor(input).placeholder)
  return { email, results: checkEmail(email, input.grounding), passed: false, attempts, sanitised: true }
}

const attemptOf = (attempt: number, results: ReadonlyArray<CheckResult>): CheckAttempt => ({
  attempt,
  passed: allPassed(results),
  failed: results.filter((r) => !r.passed).map((r) => r.check),
  problems: failureReasons(results)
})

const deterministicStrategy: Strategy = {
  composer: "deterministic",
  analyse: (template) => Effect.succeed({ analysis: analyseHeuristically(template), cached: false }),
  extractFacts: (input) => Effect.succeed(mentionFacts(input.name, input.hits, input.pages, Number.POSITIVE_INFINITY)),
  compose: (input) =>
    Effect.sync(() => {
      const draft = fillFor(input).template(input.job.emailTemplate)
      const results = checkEmail(draft, input.grounding)
      return finish(draft, input, [attemptOf(1, results)], results)
    })
}

const retryMalformed = <A>(effect: Effect.Effect<A, UpstreamError>, times: number) =>
  Effect.retry(effect, { times, while: (e) => e.kind === "malformed_response" })

const makeLlmStrategy = (options: Options) =>
  Effect.gen(function* () {
    const llm = yield* Llm
    const scope = yield* Effect.scope

    const analyse = (template: string) =>
      retryMalformed(
        llm.generateObject({
          step: "template_parser",
          ...Prompts.templateAnalysis(template),
          schema: TemplateAnalysisReply,
          schemaName: schemaNames.template_parser
        }),
        options.malformedRetries
      ).pipe(Effect.map(({ value, usage }) => ({ analysis: reconcile(template, value), usage })))

    // The cache holds the analysing fiber, forked into the layer's scope: concurrent misses join one analysis, and an
    // interrupted job (its attempt timed out) does not interrupt the analysis others wait for. `owner` is the fiber
    // whose miss started it, the only job to be charged its tokens. Failures are evicted, not cached.
    // The cache runs lookups in its own context, without the caller's span: the missing job hands its span over here
    // so the analysis (and its LLM call) shows in that job's trace.
    const lookupParents = new Map<string, Tracer.AnySpan>()
    const cache = yield* Cache.make({
      capacity: options.templateCacheCapacity,
      timeToLive: options.templateCacheTtl,
      lookup: (template: string) => {
        const parent = lookupParents.get(template)
        const analysing = parent === undefined ? analyse(template) : Effect.withParentSpan(analyse(template), parent)
        return Effect.map(Effect.zip(Effect.fiberId, Effect.forkIn(analysing, scope)), ([owner, fiber]) => ({
          owner,
          fiber
        }))
      }
    })

    const strategy: Strategy = {
      composer: "llm",
      analyse: (template, run) =>
        Effect.gen(function* () {
          const span = yield* Effect.option(Effect.currentSpan)
          if (span._tag === "Some") lookupParents.set(template, span.value)
          const entry = yield* cache
            .get(template)
            .pipe(Effect.ensuring(Effect.sync(() => lookupParents.delete(template))))
          const fresh = Equal.equals(entry.owner, yield* Effect.fiberId)
          const outcome = yield* Effect.either(
            Fiber.join(entry.fiber).pipe(Effect.tapError(() => cache.invalidate(template)))
          )
          if (Either.isRight(outcome)) {
            yield* run.recordUsage("template_parser", outcome.right.usage, !fresh)
            return { analysis: outcome.right.analysis, cached: !fresh }
          }
          if (outcome.left.kind !== "malformed_response") {
            return yield* Effect.fail(toGenerationFailed("template_parser")(outcome.left))
          }
          yield* run.warn("template analysis: the model's replies did not decode; analysed by keywords instead")
          return { analysis: analyseHeuristically(template), cached: false }
        }),

      extractFacts: (input, run) =>
        Effect.gen(function* () {
          if (input.pages.length === 0 && input.hits.length === 0) return []
          const reply = yield* Effect.either(
            retryMalformed(
              llm.generateObject({
                step: "web_scraper",
                ...Prompts.facts({
                  name: input.name,
                  interest: input.interest,
                  templateType: input.analysis.templateType,
                  pages: input.pages,
                  hits: input.hits,
                  maxFacts: options.maxFacts,
                  maxPageChars: options.maxPageChars
                }),
                schema: FactsReply,
                schemaName: schemaNames.web_scraper
              }),
              options.malformedRetries
            )
          )
          if (Either.isLeft(reply)) {
            if (reply.left.kind !== "malformed_response") {
              return yield* Effect.fail(toGenerationFailed("web_scraper")(reply.left))
            }
            yield* run.warn("fact extraction: the model's replies did not decode; no facts kept")
            return []
          }
          yield* run.recordUsage("web_scraper", reply.right.usage)
          const kept = keepSourcedFacts(reply.right.value.facts, input.seenUrls)
          const dropped = reply.right.value.facts.length - kept.length
          if (dropped > 0) yield* run.warn(`fact extraction: ${dropped} fact(s) dropped (unknown source or suspicious)`)
          return kept
        }),

      compose: (input, run) =>
        Effect.gen(function* () {
          const attempts: Array<CheckAttempt> = []
          let failures: ReadonlyArray<string> = []
          let draft = ""
          let results: ReadonlyArray<CheckResult> = []
          for (let attempt = 1; attempt <= options.maxRegenerations + 1; attempt++) {
            if (attempt > 1) {
              yield* run.status("email_composer", `regenerating (${attempt - 1}/${options.maxRegenerations})`)
            }
            const reply = yield* retryMalformed(
              llm.generateObject({
                step: "email_composer",
                ...Prompts.compose({
                  template: input.job.emailTemplate,
                  recipientName: input.job.recipientName,
                  nameWithoutTitles: stripTitles(input.job.recipientName),
                  interest: input.job.recipientInterest,
                  analysis: input.analysis,
                  papers: input.evidence.papers,
                  facts: input.evidence.facts,
                  failures
                }),
                schema: EmailDraft,
                schemaName: schemaNames.email_composer
              }),
              options.malformedRetries
            ).pipe(Effect.mapError(toGenerationFailed("email_composer")))
            yield* run.recordUsage("email_composer", reply.usage)
            draft = reply.value.email.trim()
            results = checkEmail(draft, input.grounding)
            attempts.push(attemptOf(attempt, results))
            if (allPassed(results)) break
            failures = failureReasons(results)
          }
          return finish(draft, input, attempts, results)
        })
    }
    return strategy
  })

// ---------------------------------------------------------------------------------------------------------------
// The pipeline

/** A search started ahead of its step: the query and the fiber running it. */
interface EarlySearch {
  readonly query: string
  readonly hits: Fiber.Fiber<ReadonlyArray<SearchHit>>
}

interface WebFindings {
  readonly queries: ReadonlyArray<string>
  readonly hits: ReadonlyArray<SearchHit>
  readonly pages: ReadonlyArray<Page>
  readonly pagesFailed: number
  readonly facts: ReadonlyArray<Fact>
}

interface ArxivFindings {
  readonly found: number
  readonly selected: ReadonlyArray<Paper>
  readonly notAuthor: number
  readonly tooOld: number
  readonly irrelevant: number
}

const describeError = (error: UpstreamError) =>
  `${services[error.service]} ${kinds[error.kind]}: ${error.message.slice(0, 200)}`

const paperMetadata = (p: Paper) => ({
  title: p.title,
  arxiv_id: p.id,
  url: p.url,
  published: p.published.toISOString(),
  authors: p.authors
})

const usageMetadata = (entries: ReadonlyArray<UsageEntry>) => {
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

/** Builds the Generator for a composing strategy; research (search, pages, arXiv) is the same for both. */
const makeGenerator = (strategy: Strategy, options: Options) =>
  Effect.gen(function* () {
    const search = yield* WebSearch
    const scraper = yield* Scraper
    const arxiv = yield* Arxiv

    const searchFor = (q: string, run: Run) =>
      search.search(q, options.searchResultsPerQuery).pipe(
        Effect.tapError((e) => run.warn(`search "${q}": ${describeError(e)}`)),
        Effect.orElseSucceed((): ReadonlyArray<SearchHit> => [])
      )

    const webResearch = Effect.fn("Pipeline.webResearch")(function* (
      job: Job,
      name: string,
      analysis: TemplateAnalysis,
      run: Run,
      early: EarlySearch
    ) {
      const qs = queries(name, job.recipientInterest, analysis.templateType)
      const results = yield* Effect.forEach(
        qs,
        (q) => (q === early.query ? Fiber.join(early.hits) : searchFor(q, run)),
        {
          concurrency: "unbounded"
        }
      )
      const hits = mergeHits(results)
      const fetched = yield* Effect.forEach(
        hits.slice(0, options.maxPages),
        (hit) =>
          scraper.fetchPage(hit.url).pipe(
            Effect.tapError((e) => run.warn(`page ${hit.url}: ${describeError(e)}`)),
            Effect.option
          ),
        { concurrency: options.fetchConcurrency }
      )
      const pages = fetched.flatMap((p) => (p._tag === "Some" ? [p.value] : []))
      const seenUrls = [...hits.map((h) => h.url), ...pages.map((p) => p.url)]
      const facts = yield* strategy.extractFacts(
        { name, interest: job.recipientInterest, analysis, hits, pages, seenUrls },
        run
      )
      return {
        queries: qs,
        hits,
        pages,
        pagesFailed: fetched.length - pages.length,
        facts: facts.slice(0, options.maxFacts)
      } satisfies WebFindings
    })

    const arxivResearch = Effect.fn("Pipeline.arxivResearch")(function* (job: Job, name: string, run: Run) {
      const found = yield* arxiv
        .searchByAuthor({ author: name, topic: job.recipientInterest, maxResults: options.arxivMaxResults })
        .pipe(
          Effect.tapError((e) => run.warn(`arXiv: ${describeError(e)}`)),
          Effect.orElseSucceed((): ReadonlyArray<Paper> => [])
        )
      const selection = selectPapers(found, job.recipientName, job.recipientInterest, {
        now: new Date(yield* Clock.currentTimeMillis),
        recencyYears: options.recencyYears,
        maxPapers: options.maxPapers
      })
      return {
        found: found.length,
        selected: selection.selected,
        notAuthor: selection.notAuthor.length,
        tooOld: selection.tooOld.length,
        irrelevant: selection.irrelevant.length
      } satisfies ArxivFindings
    })

    const compose = Effect.fn("Pipeline.compose")(function* (input: ComposeInput, run: Run) {
      return yield* strategy.compose(input, run)
    })

    const generate = Effect.fn("Pipeline.generate")(function* (
      job: Job,
      progress: (progress: StepProgress) => Effect.Effect<void>
    ) {
      const started = yield* Clock.currentTimeMillis
      const run = yield* makeRun(progress)
      const name = stripTitles(job.recipientName)
      // The first query needs only the name and the interest: it runs while the template is analysed, so the search
      // budget's spacing (one request a second by default) overlaps the analysis instead of holding web research up
      // by a second (issue 6's benchmark).
      const firstQuery = queries(name, job.recipientInterest, "general")[0] ?? ""
      const early: EarlySearch = { query: firstQuery, hits: yield* Effect.fork(searchFor(firstQuery, run)) }

      const { analysis, cached } = yield* run.step(
        "template_parser",
        strategy.analyse(job.emailTemplate, run).pipe(Effect.withSpan("Pipeline.analyseTemplate"))
      )
      const [web, papers] = yield* Effect.all(
        [
          run.step("web_scraper", webResearch(job, name, analysis, run, early)),
          run.step("arxiv_helper", arxivResearch(job, name, run))
        ],
        { concurrency: 2 }
      )
      const evidence: Evidence = { papers: papers.selected, facts: web.facts }
      const composition = yield* run.step(
        "email_composer",
        compose(
          {
            job,
            analysis,
            evidence,
            grounding: {
              evidence,
              template: job.emailTemplate,
              recipientName: job.recipientName,
              interest: job.recipientInterest,
              minLength: options.minEmailLength,
              maxLength: options.maxEmailLength
            }
          },
          run
        )
      )

      const stepTimings = yield* run.timings
      const usage = yield* run.usage
      const generationTime = seconds((yield* Clock.currentTimeMillis) - started)
      const enoughEvidence = evidence.papers.length > 0 || evidence.facts.length >= options.minFactsForConfidence
      const isConfident = strategy.composer === "llm" && composition.passed && enoughEvidence
      const reason =
        strategy.composer === "deterministic"
          ? "written without a language model"
          : !composition.passed
            ? "the draft failed grounding checks after every regeneration"
            : !enoughEvidence
              ? `too little evidence (no verified paper and fewer than ${options.minFactsForConfidence} facts)`
              : "grounded in verified papers or facts, all checks passed"
      const cited = new Set(titleMentions(composition.email).map((m) => m.text.toLowerCase()))
      const models: Partial<Record<PipelineStep, string>> = {}
      for (const u of usage) models[u.step] = u.usage.model

      const metadata: GenerationMetadata = {
        composer: strategy.composer,
        composer_label: strategy.composer === "deterministic" ? DeterministicComposer.label : null,
        template_type: analysis.templateType,
        template_analysis: {
          source: analysis.source,
          cached,
          placeholders: analysis.placeholders.map((p) => ({ name: p.name, kind: p.kind, needs: p.needs }))
        },
        recipient_name_searched: name,
        papers_used: evidence.papers.map(paperMetadata),
        papers_cited: evidence.papers
          .filter((p) => [...cited].some((c) => p.title.toLowerCase().includes(c) || c.includes(p.title.toLowerCase())))
          .map((p) => p.title),
        facts_used: evidence.facts.map((f) => ({ statement: f.statement, source_url: f.sourceUrl })),
        sources: [...new Set(evidence.facts.map((f) => f.sourceUrl))],
        generation_time: generationTime,
        step_timings: stepTimings,
        models,
        token_usage: usageMetadata(usage),
        checks: {
          passed: composition.passed,
          sanitised: composition.sanitised,
          regenerations: Math.max(0, composition.attempts.length - 1),
          failed: composition.passed ? [] : (composition.attempts.at(-1)?.failed ?? []),
          results: composition.results.map((r) => ({ check: r.check, passed: r.passed, problems: r.problems })),
          attempts: composition.attempts
        },
        evidence: {
          search_queries: web.queries,
          search_hits: web.hits.length,
          pages_fetched: web.pages.length,
          pages_failed: web.pagesFailed,
          facts: evidence.facts.length,
          papers_found: papers.found,
          papers_verified: evidence.papers.length,
          papers_excluded_not_author: papers.notAuthor,
          papers_excluded_too_old: papers.tooOld,
          papers_excluded_irrelevant: papers.irrelevant
        },
        warnings: yield* run.warnings,
        confidence: { is_confident: isConfident, reason }
      }
      return {
        emailMessage: composition.email,
        templateType: analysis.templateType,
        isConfident,
        metadata,
        stepTimings
      } satisfies GeneratedEmail
    })

    return Generator.of({ generate })
  })

/** The pipeline composing with a language model. */
export const layerWith = (
  options: Partial<Options> = {}
): Layer.Layer<Generator, never, Llm | WebSearch | Scraper | Arxiv> =>
  Layer.scoped(
    Generator,
    Effect.gen(function* () {
      const all = { ...defaultOptions, ...options }
      return yield* makeGenerator(yield* makeLlmStrategy(all), all)
    })
  )

export const layer = layerWith()

/** The pipeline without a language model (the embedded default): mechanical fill, never confident. */
export const layerNoLlmWith = (
  options: Partial<Options> = {}
): Layer.Layer<Generator, never, WebSearch | Scraper | Arxiv> =>
  Layer.effect(Generator, makeGenerator(deterministicStrategy, { ...defaultOptions, ...options }))

export const layerNoLlm = layerNoLlmWith()
