import { Schema } from "effect"

/** The pipeline's steps, in the order they start. Names appear in progress and in `step_timings`. */
export const PipelineStep = Schema.Literal("template_parser", "web_scraper", "arxiv_helper", "email_composer")
export type PipelineStep = typeof PipelineStep.Type

export const pipelineSteps: ReadonlyArray<PipelineStep> = PipelineStep.literals

/** Seconds spent per step; a step appears once it has finished. */
export const StepTimings = Schema.partial(Schema.Record({ key: PipelineStep, value: Schema.NonNegative }))
export type StepTimings = typeof StepTimings.Type
