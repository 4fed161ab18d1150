import { type Duration, Effect, Layer, Ref, Schema } from "effect"
import type { PipelineStep } from "../pipeline/PipelineStep"
import { Llm, type LlmRequest, type LlmUsage } from "../upstream/Llm"
import { UpstreamError } from "../upstream/UpstreamError"

/** One scripted reply. `value` is decoded with the request's schema; `text` is a raw reply (JSON for objects). */
export interface ScriptedReply {
  readonly value?: unknown
  readonly text?: string
  readonly error?: UpstreamError
  /** Overrides the step's latency for this reply. */
  readonly latency?: Duration.DurationInput
}

/** Replies for a step: a function of the request and the step's 0-based call number, or a list (the last repeats). */
export type StepScript = ((request: LlmRequest, call: number) => ScriptedReply) | ReadonlyArray<ScriptedReply>

export interface Script {
  readonly steps: Partial<Record<PipelineStep, StepScript>>
  /** Time each call takes (through Effect's clock, so `TestClock` drives it). */
  readonly latency?: Partial<Record<PipelineStep, Duration.DurationInput>>
  /** The model name reported in usage; `model-<step>` by default. */
  readonly model?: (step: PipelineStep) => string
}

export interface RecordedCall {
  readonly step: PipelineStep
  readonly system: string
  readonly prompt: string
  readonly schemaName: string | null
}

export const malformed = (message = "reply did not decode") =>
  new UpstreamError({ service: "llm", kind: "malformed_response", message, retryAfterMs: null })

const tokens = (text: string) => Math.ceil(text.length / 4)

/** A scripted in-memory language model for unit tests, recording every call. */
export const make = (script: Script) =>
  Effect.gen(function* () {
    const calls = yield* Ref.make<ReadonlyArray<RecordedCall>>([])

    const reply = (request: LlmRequest, schemaName: string | null) =>
      Effect.gen(function* () {
        const made = yield* Ref.modify(calls, (all) => {
          const n = all.filter((c) => c.step === request.step).length
          const call = { step: request.step, system: request.system, prompt: request.prompt, schemaName }
          return [n, [...all, call]] as const
        })
        const steps = script.steps[request.step]
        const scripted: ScriptedReply =
          steps === undefined
            ? {
                error: new UpstreamError({
                  service: "llm",
                  kind: "invalid_request",
                  message: `no script for ${request.step}`,
                  retryAfterMs: null
                })
              }
            : typeof steps === "function"
              ? steps(request, made)
              : (steps[Math.min(made, steps.length - 1)] ?? {})
        const latency = scripted.latency ?? script.latency?.[request.step]
        if (latency !== undefined) yield* Effect.sleep(latency)
        if (scripted.error !== undefined) return yield* Effect.fail(scripted.error)
        const usage = (completion: string): LlmUsage => ({
          model: script.model?.(request.step) ?? `model-${request.step}`,
          promptTokens: tokens(request.system) + tokens(request.prompt),
          completionTokens: tokens(completion)
        })
        return { scripted, usage }
      })

    const service = Llm.of({
      generateText: (request) =>
        Effect.map(reply(request, null), ({ scripted, usage }) => {
          const text =
            scripted.text ?? (typeof scripted.value === "string" ? scripted.value : JSON.stringify(scripted.value))
          return { text, usage: usage(text) }
        }),
      generateObject: (request) =>
        Effect.flatMap(reply(request, request.schemaName), ({ scripted, usage }) =>
          Effect.gen(function* () {
            const raw = scripted.text ?? JSON.stringify(scripted.value ?? null)
            const parsed = yield* Effect.try({
              try: (): unknown => (scripted.text === undefined ? scripted.value : JSON.parse(scripted.text)),
              catch: () => malformed("reply is not JSON")
            })
            const value = yield* Schema.decodeUnknown(request.schema)(parsed).pipe(
              Effect.mapError(() => malformed(`reply does not match ${request.schemaName}`))
            )
            return { value, usage: usage(raw) }
          })
        )
    })

    return {
      service,
      layer: Layer.succeed(Llm, service),
      calls: Ref.get(calls),
      count: (step: PipelineStep) => Effect.map(Ref.get(calls), (all) => all.filter((c) => c.step === step).length)
    }
  })
