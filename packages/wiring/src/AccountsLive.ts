import * as PdfjsText from "@scribe/adapters/pdf/PdfjsText"
import * as SafePdfFetcher from "@scribe/adapters/scraper/SafePdfFetcher"
import * as Budgets from "@scribe/adapters/upstream/Budgets"
import * as OpenAiLlm from "@scribe/adapters/upstream/OpenAiLlm"
import * as AdminAccess from "@scribe/core/admin/AdminAccess"
import * as DeterministicResumeTemplate from "@scribe/core/templates/DeterministicResumeTemplate"
import * as LlmTemplateWriter from "@scribe/core/templates/LlmTemplateWriter"
import * as TemplateLimit from "@scribe/core/templates/TemplateLimit"
import { Effect, Layer } from "effect"

/**
 * What the profile, template and admin routes need beside their stores, from the environment: the résumé template
 * writer (the language model when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set, under the upstream budgets; otherwise
 * the deterministic builder, its templates labelled `deterministic`), the SSRF-safe PDF fetcher
 * (`SCRIBE_ALLOW_PRIVATE_FETCH`), PDF.js text extraction, the per-user template limit (`SCRIBE_TEMPLATE_LIMIT`) and
 * the operators (`SCRIBE_ADMIN_EMAILS`).
 */
export const layerConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const withLlm = yield* OpenAiLlm.isConfigured
    const writer = withLlm
      ? LlmTemplateWriter.layer.pipe(Layer.provide(OpenAiLlm.layerConfig), Layer.provide(Budgets.layerConfig))
      : DeterministicResumeTemplate.layer
    return Layer.mergeAll(
      writer,
      SafePdfFetcher.layerConfig,
      PdfjsText.layer(),
      TemplateLimit.layerConfig,
      AdminAccess.layerConfig
    )
  })
)
