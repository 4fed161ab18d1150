/** Composing without a language model: keyword analysis, facts that mention the recipient, a mechanical fill. */
import { Effect } from "effect"
import { checkEmail } from "./Grounding"
import { attemptOf, fillFor, finish, type Strategy } from "./Strategy"
import { analyseHeuristically } from "./TemplateAnalysis"
import { mentionFacts } from "./WebResearch"

export const strategy: Strategy = {
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
