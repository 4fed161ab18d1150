import { Clock, Duration, Effect, Exit, Layer } from "effect"
import type { JobId } from "../Ids"
import { type GeneratedEmail, GenerationFailed, Generator, type StepProgress } from "../jobs/Generator"
import type { Job } from "../jobs/Job"
import { type PipelineStep, pipelineSteps, type StepTimings } from "../pipeline/PipelineStep"

/** How one attempt of a scripted generation goes. Test code only: it writes placeholder emails. */
export interface Script {
  /** How long each of the four steps takes (on Effect's `Clock`). */
  readonly stepMillis?: number
  /** Runs inside each step before it ends: a test can hold a job at a step. */
  readonly during?: (job: Job, step: PipelineStep) => Effect.Effect<void>
  /** The failure (if any) of attempt `call` (1-based, counted per job by this generator) and the step it hits. */
  readonly failure?: (
    job: Job,
    call: number
  ) => { readonly step: PipelineStep; readonly error: GenerationFailed } | "hang" | null
}

export const transient = (
  message = "upstream said 503",
  retryAfterMs: number | null = null,
  step: PipelineStep = "web_scraper"
) => ({
  step,
  error: new GenerationFailed({ message, type: "UpstreamUnavailable", failedStep: step, transient: true, retryAfterMs })
})

export const permanent = (message = "invalid API key", step: PipelineStep = "template_parser") => ({
  step,
  error: new GenerationFailed({ message, type: "UpstreamAuth", failedStep: step, transient: false, retryAfterMs: null })
})

/** A Generator that walks the four steps, reporting progress, and then succeeds or fails as scripted. */
export const make = (script: Script = {}) =>
  Effect.sync(() => {
    const calls = new Map<JobId, number>()
    const log: Array<{ readonly jobId: JobId; readonly event: "start" | "end" | "interrupted"; readonly at: number }> =
      []
    const record = (jobId: JobId, event: "start" | "end" | "interrupted") =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.sync(() => log.push({ jobId, event, at })))
    const generator = Generator.of({
      generate: (job, progress) =>
        Effect.gen(function* () {
          const call = (calls.get(job.id) ?? 0) + 1
          calls.set(job.id, call)
          yield* record(job.id, "start")
          const failure = script.failure?.(job, call) ?? null
          const timings: { -readonly [K in PipelineStep]?: number } = {}
          for (const step of pipelineSteps) {
            const started = yield* Clock.currentTimeMillis
            const report: StepProgress = { step, stepStatus: "running", stepTimings: { ...timings } }
            yield* progress(report)
            if (failure === "hang" && step === "web_scraper") return yield* Effect.never
            if (script.stepMillis !== undefined && script.stepMillis > 0) {
              yield* Effect.sleep(Duration.millis(script.stepMillis))
            }
            if (script.during !== undefined) yield* script.during(job, step)
            if (failure !== null && failure !== "hang" && failure.step === step) return yield* failure.error
            timings[step] = ((yield* Clock.currentTimeMillis) - started) / 1000
          }
          const stepTimings: StepTimings = { ...timings }
          const email: GeneratedEmail = {
            emailMessage: `Dear ${job.recipientName}, (scripted test email, attempt ${call})`,
            templateType: "research",
            isConfident: false,
            metadata: { scripted: true },
            stepTimings
          }
          return email
        }).pipe(Effect.onExit((exit) => record(job.id, Exit.isInterrupted(exit) ? "interrupted" : "end")))
    })
    return {
      generator,
      calls: (id: JobId) => calls.get(id) ?? 0,
      /** When attempts started and ended (or were interrupted), on Effect's clock. */
      events: (id: JobId) => log.filter((e) => e.jobId === id)
    }
  })

/** The scripted Generator as a layer (for composition roots under test). */
export const layer = (script: Script = {}): Layer.Layer<Generator> =>
  Layer.effect(
    Generator,
    Effect.map(make(script), (s) => s.generator)
  )
