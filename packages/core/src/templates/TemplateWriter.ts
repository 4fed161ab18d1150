import type { Effect } from "effect"
import { Context } from "effect"
import type { UpstreamError } from "../upstream/UpstreamError"
import type { ResumeText } from "./PdfText"
import type { TemplateGenerationFailed, TemplateGenerator } from "./TemplateRecord"

export interface WrittenTemplate {
  readonly text: string
  readonly generator: TemplateGenerator
}

/**
 * Writes an outreach template in the student's voice from their résumé, with `{{name}}` and `{{research}}` for the
 * recipient, passing the résumé template rules (`ResumeTemplateRules`).
 */
export class TemplateWriter extends Context.Tag("@scribe/core/TemplateWriter")<
  TemplateWriter,
  {
    readonly write: (input: {
      readonly resume: ResumeText
      readonly instructions: string
    }) => Effect.Effect<WrittenTemplate, TemplateGenerationFailed | UpstreamError>
  }
>() {}
