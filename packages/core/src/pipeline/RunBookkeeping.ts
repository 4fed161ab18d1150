/** One generation's bookkeeping: step progress and timings, token usage per model call, warnings. */
import { Clock, Effect, Ref } from "effect"
import type { StepProgress } from "../jobs/Generator"
import * as Metrics from "../ops/Metrics"
import type { LlmUsage } from "../upstream/Llm"
import type { PipelineStep, StepTimings } from "./PipelineStep"

export interface UsageEntry {
  readonly step: PipelineStep
  readonly usage: LlmUsage
  /** The reply came from the template cache: no tokens were spent by this job. */
  readonly cached: boolean
}

export interface Run {
  /** Runs a step between "started" and "completed" progress events, recording its duration. */
  readonly step: <A, E>(step: PipelineStep, effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  readonly status: (step: PipelineStep, status: string) => Effect.Effect<void>
  readonly recordUsage: (step: PipelineStep, usage: LlmUsage, cached?: boolean) => Effect.Effect<void>
  readonly warn: (warning: string) => Effect.Effect<void>
  readonly timings: Effect.Effect<StepTimings>
  readonly usage: Effect.Effect<ReadonlyArray<UsageEntry>>
  readonly warnings: Effect.Effect<ReadonlyArray<string>>
}

/** Milliseconds as seconds, to the millisecond. */
export const seconds = (ms: number) => Math.round(ms) / 1000

export const makeRun = (progress: (p: StepProgress) => Effect.Effect<void>) =>
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
