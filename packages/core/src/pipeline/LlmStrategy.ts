/** Composing with a language model: template analysis (cached per template), fact extraction, drafts until checked. */
import { Cache, Effect, Either, Equal, Fiber, Schema, type Tracer } from "effect"
import { Llm } from "../upstream/Llm"
import type { UpstreamError } from "../upstream/UpstreamError"
import { FactsReply } from "./Evidence"
import { logged, toGenerationFailed } from "./Failures"
import type { CheckAttempt } from "./GenerationMetadata"
import { allPassed, type CheckResult, checkEmail, failureReasons } from "./Grounding"
import type { Options } from "./PipelineOptions"
import * as Prompts from "./Prompts"
import { attemptOf, finish, type Strategy } from "./Strategy"
import { analyseHeuristically, reconcile, TemplateAnalysisReply } from "./TemplateAnalysis"
import { keepSourcedFacts } from "./WebResearch"

/** The structured reply asked of the model for `email_composer` (schema name `email_draft`). */
export const EmailDraft = Schema.Struct({ email: Schema.String })

export const schemaNames = {
  template_parser: "template_analysis",
  web_scraper: "web_facts",
  email_composer: "email_draft"
} as const

const retryMalformed = <A>(effect: Effect.Effect<A, UpstreamError>, times: number) =>
  Effect.retry(effect, { times, while: (e) => e.kind === "malformed_response" })

/** The strategy on the `Llm` port; its template cache lives as long as the layer's scope. */
export const make = (options: Options) =>
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
            yield* logged(outcome.left)
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
              yield* logged(reply.left)
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
                  nameWithoutTitles: input.name,
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
            ).pipe(Effect.tapError(logged), Effect.mapError(toGenerationFailed("email_composer")))
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
