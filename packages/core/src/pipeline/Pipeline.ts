/**
 * The generation pipeline: template_parser, then web_scraper and arxiv_helper concurrently, then email_composer with
 * deterministic grounding checks. `layer` composes with a language model, `layerNoLlm` fills templates mechanically
 * and is never confident. The steps, the checks and the failure policy are described in docs/pipeline.md.
 */
import { Clock, Effect, Fiber, Layer } from "effect"
import { type GeneratedEmail, Generator, type StepProgress } from "../jobs/Generator"
import type { Job } from "../jobs/Job"
import { Arxiv } from "../upstream/Arxiv"
import type { Llm } from "../upstream/Llm"
import type { Paper } from "../upstream/Paper"
import { type Page, Scraper } from "../upstream/Scraper"
import { type SearchHit, WebSearch } from "../upstream/WebSearch"
import * as DeterministicComposer from "./DeterministicComposer"
import type { Evidence, Fact } from "./Evidence"
import { describeError } from "./Failures"
import { type GenerationMetadata, paperMetadata, usageMetadata } from "./GenerationMetadata"
import { titleMentions } from "./Grounding"
import * as LlmStrategy from "./LlmStrategy"
import { stripTitles } from "./Names"
import * as NoLlmStrategy from "./NoLlmStrategy"
import { selectPapers } from "./PaperSelection"
import { defaultOptions, type Options } from "./PipelineOptions"
import type { PipelineStep } from "./PipelineStep"
import { makeRun, type Run, seconds } from "./RunBookkeeping"
import type { ComposeInput, Strategy } from "./Strategy"
import type { TemplateAnalysis } from "./TemplateAnalysis"
import { mergeHits, queries } from "./WebResearch"

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
      // by a second (measured in docs/benchmarks.md).
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
            name,
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
      return yield* makeGenerator(yield* LlmStrategy.make(all), all)
    })
  )

export const layer = layerWith()

/** The pipeline without a language model (the embedded default): mechanical fill, never confident. */
export const layerNoLlmWith = (
  options: Partial<Options> = {}
): Layer.Layer<Generator, never, WebSearch | Scraper | Arxiv> =>
  Layer.effect(Generator, makeGenerator(NoLlmStrategy.strategy, { ...defaultOptions, ...options }))

export const layerNoLlm = layerNoLlmWith()
