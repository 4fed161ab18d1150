import type { Effect } from "effect"
import { Context, Schema } from "effect"
import { PipelineStep, type StepTimings } from "../pipeline/PipelineStep"
import type { TemplateType } from "../templates/Template"
import type { Job } from "./Job"

/** Where a generation is: the step it is in and the time the steps it finished took. */
export interface StepProgress {
  readonly step: PipelineStep
  /**
   * The generator's own word for where the step is (`started`, `regenerating (1/2)`). Not stored: a job shows its
   * step's status words (`stepStatus` of `PipelineStep`).
   */
  readonly stepStatus?: string | null
  readonly stepTimings: StepTimings
}

/** What a generation produced: the email and everything stored beside it. */
export interface GeneratedEmail {
  readonly emailMessage: string
  readonly templateType: TemplateType | null
  readonly isConfident: boolean
  readonly metadata: Readonly<Record<string, unknown>>
  readonly stepTimings: StepTimings
}

/** A generation failed. `transient` failures are retried (after `retryAfterMs` when the upstream said so). */
export class GenerationFailed extends Schema.TaggedError<GenerationFailed>()("GenerationFailed", {
  message: Schema.String,
  type: Schema.String,
  failedStep: Schema.NullOr(PipelineStep),
  transient: Schema.Boolean,
  retryAfterMs: Schema.NullOr(Schema.Number)
}) {}

/** Writes the email a job asks for, reporting progress as it goes. Implemented by the pipeline. */
export class Generator extends Context.Tag("@scribe/core/Generator")<
  Generator,
  {
    readonly generate: (
      job: Job,
      progress: (progress: StepProgress) => Effect.Effect<void>
    ) => Effect.Effect<GeneratedEmail, GenerationFailed>
  }
>() {}
