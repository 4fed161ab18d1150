/**
 * The generation pipeline: template_parser, web_scraper and arxiv_helper (the scholarly lookup) concurrently, then
 * email_composer with deterministic grounding checks. Nothing waits for the template analysis unless it needs it, so
 * one email costs max(analysis, web research, scholarly lookup) + composing. `layer` composes with a language model,
 * `layerNoLlm` fills templates mechanically and is never confident. The steps, the checks and the failure policy are
 * described in docs/pipeline.md.
 */
import { Clock, Effect, Fiber, Layer } from "effect"
import { type GeneratedEmail, Generator, type StepProgress } from "../jobs/Generator"
import type { Job } from "../jobs/Job"
import { AuthorCache } from "../upstream/AuthorCache"
import type { Llm } from "../upstream/Llm"
import { ScholarlySources } from "../upstream/ScholarlySource"
import { Scraper } from "../upstream/Scraper"
import { WebSearch } from "../upstream/WebSearch"
import { disambiguate } from "./AuthorDisambiguation"
import { BatchRecipients } from "./BatchRecipients"
import * as DeterministicComposer from "./DeterministicComposer"
import type { Evidence } from "./Evidence"
import { authorMetadata, type GenerationMetadata, paperMetadata, usageMetadata } from "./GenerationMetadata"
import { fillInMarkers, titleMentions } from "./Grounding"
import * as LlmStrategy from "./LlmStrategy"
import { isSameAuthor, stripTitles } from "./Names"
import * as NoLlmStrategy from "./NoLlmStrategy"
import { mergePapers, paperKeys } from "./PaperMerge"
import { selectPapers } from "./PaperSelection"
import { defaultOptions, type Options } from "./PipelineOptions"
import type { PipelineStep } from "./PipelineStep"
import * as Research from "./Research"
import { makeRun, seconds } from "./RunBookkeeping"
import * as ScholarlyLookup from "./ScholarlyLookup"
import type { Strategy } from "./Strategy"
import { webClues } from "./WebClues"

/** Builds the Generator for a composing strategy; research (search, pages, scholarly sources) is the same for both. */
const makeGenerator = (strategy: Strategy, options: Options) =>
  Effect.gen(function* () {
    const { sources } = yield* ScholarlySources
    const cache = yield* AuthorCache
    const batches = yield* BatchRecipients
    const scope = yield* Effect.scope
    const lookup = yield* ScholarlyLookup.make(sources, cache, {
      recencyYears: options.recencyYears,
      maxWorks: options.arxivMaxResults,
      enoughWorks: options.scholarlyEnoughWorks
    })
    const research = Research.make(strategy, options, {
      search: yield* WebSearch,
      scraper: yield* Scraper,
      lookup
    })

    // Batches whose other recipients this process has looked up ahead (the last thousand).
    const prefetched = new Set<string>()
    const prefetch = (job: Job) =>
      Effect.gen(function* () {
        if (job.batchId === null || prefetched.has(job.batchId)) return
        prefetched.add(job.batchId)
        if (prefetched.size > 1000) prefetched.delete(prefetched.values().next().value!)
        const ahead = batches.others(job).pipe(
          Effect.flatMap((others) =>
            lookup.lookupMany(
              others.map((o) => ({ name: stripTitles(o.name), interest: o.interest })),
              { background: true }
            )
          ),
          Effect.withSpan("Pipeline.lookAhead", { attributes: { "job.batch_id": job.batchId } })
        )
        // In the layer's scope: the batch's other jobs need it even if this one is interrupted.
        yield* Effect.forkIn(ahead, scope)
      })

    const generate = Effect.fn("Pipeline.generate")(function* (
      job: Job,
      progress: (progress: StepProgress) => Effect.Effect<void>
    ) {
      const started = yield* Clock.currentTimeMillis
      const run = yield* makeRun(progress)
      const name = stripTitles(job.recipientName)

      const analysing = yield* Effect.fork(
        run.step(
          "template_parser",
          strategy.analyse(job.emailTemplate, run).pipe(Effect.withSpan("Pipeline.analyseTemplate"))
        )
      )
      const [{ analysis, cached }, web, found] = yield* Effect.all(
        [
          Fiber.join(analysing),
          run.step(
            "web_scraper",
            research.web(
              job,
              name,
              Effect.map(Fiber.join(analysing), (o) => o.analysis),
              run
            )
          ),
          run.step("arxiv_helper", research.scholarly({ name, interest: job.recipientInterest }, run)),
          // The rest of the batch is looked up behind this job's own lookup, which keeps its place in front.
          prefetch(job)
        ],
        { concurrency: "unbounded" }
      )

      const clues = webClues(name, web.hits, web.pages, web.facts)
      const decision = disambiguate(job.recipientName, job.recipientInterest, found.candidates, clues)
      const works = mergePapers(found.candidates.flatMap((c) => c.works))
      const notAuthor = works.filter((p) => !p.authors.some((a) => isSameAuthor(job.recipientName, a)))
      const theirs = new Set(decision.works.flatMap(paperKeys))
      const namesakes = works.filter((p) => !notAuthor.includes(p) && !paperKeys(p).some((k) => theirs.has(k)))
      const selection = selectPapers(decision.works, job.recipientName, job.recipientInterest, {
        now: new Date(yield* Clock.currentTimeMillis),
        recencyYears: options.recencyYears,
        maxPapers: options.maxPapers
      })
      const evidence: Evidence = { papers: selection.selected, facts: web.facts }
      const composition = yield* run.step(
        "email_composer",
        strategy
          .compose(
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
          .pipe(Effect.withSpan("Pipeline.compose"))
      )

      const stepTimings = yield* run.timings
      const usage = yield* run.usage
      const generationTime = seconds((yield* Clock.currentTimeMillis) - started)
      const enoughEvidence = evidence.papers.length > 0 || evidence.facts.length >= options.minFactsForConfidence
      const ambiguous = decision.status === "ambiguous"
      const isConfident = strategy.composer === "llm" && composition.passed && enoughEvidence && !ambiguous
      const unresolved = `could not tell which author is the recipient: ${decision.reason}`
      const toFill = fillInMarkers(composition.email)
      const leftToFill =
        toFill.length === 0
          ? null
          : `the email leaves ${toFill.map((what) => `the ${what}`).join(" and ")} to fill in: nothing found could go there`
      const failedChecks = composition.results.filter((r) => !r.passed && r.check !== "nothing_to_fill_in")
      const reason =
        strategy.composer === "deterministic"
          ? [
              "written without a language model",
              ...(ambiguous ? [unresolved] : []),
              ...(leftToFill ? [leftToFill] : [])
            ].join("; ")
          : !composition.passed && (failedChecks.length > 0 || leftToFill === null)
            ? "the draft failed grounding checks after every regeneration"
            : leftToFill !== null
              ? leftToFill
              : ambiguous
                ? unresolved
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
          papers_found: works.length,
          papers_verified: evidence.papers.length,
          papers_excluded_not_author: notAuthor.length,
          papers_excluded_too_old: selection.tooOld.length,
          papers_excluded_irrelevant: selection.irrelevant.length,
          papers_excluded_namesake: namesakes.length
        },
        author: authorMetadata(decision, clues),
        scholarly_sources: found.consulted.map((c) => ({
          source: c.source,
          cached: c.cached,
          candidates: c.candidates,
          failed: c.error !== null
        })),
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

/** What the pipeline researches with, besides the model. */
export type ResearchPorts = WebSearch | Scraper | ScholarlySources | AuthorCache | BatchRecipients

/** The pipeline composing with a language model. */
export const layerWith = (options: Partial<Options> = {}): Layer.Layer<Generator, never, Llm | ResearchPorts> =>
  Layer.scoped(
    Generator,
    Effect.gen(function* () {
      const all = { ...defaultOptions, ...options }
      return yield* makeGenerator(yield* LlmStrategy.make(all), all)
    })
  )

export const layer = layerWith()

/** The pipeline without a language model (the embedded default): mechanical fill, never confident. */
export const layerNoLlmWith = (options: Partial<Options> = {}): Layer.Layer<Generator, never, ResearchPorts> =>
  Layer.scoped(Generator, makeGenerator(NoLlmStrategy.strategy, { ...defaultOptions, ...options }))

export const layerNoLlm = layerNoLlmWith()
