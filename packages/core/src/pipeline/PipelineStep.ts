import { Schema } from "effect"

/** The pipeline's steps, in the order they start. Names appear in progress and in `step_timings`. */
export const PipelineStep = Schema.Literal("template_parser", "web_scraper", "arxiv_helper", "email_composer")
export type PipelineStep = typeof PipelineStep.Type

export const pipelineSteps: ReadonlyArray<PipelineStep> = PipelineStep.literals

/** Seconds spent per step; a step appears once it has finished. */
export const StepTimings = Schema.partial(Schema.Record({ key: PipelineStep, value: Schema.NonNegative }))
export type StepTimings = typeof StepTimings.Type

/** The step a job is at from its claim on: the pipeline starts with the template. */
export const firstStep: PipelineStep = "template_parser"

const stepStatuses: Readonly<Record<PipelineStep, string>> = {
  template_parser: "Analysing your template…",
  web_scraper: "Searching for professor information…",
  arxiv_helper: "Looking up papers…",
  email_composer: "Writing your email…"
}

/** What a job's `step_status` says while it is at `step`: words for the person waiting on it. */
export const stepStatus = (step: PipelineStep): string => stepStatuses[step]
