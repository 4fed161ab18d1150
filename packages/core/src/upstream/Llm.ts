import type { Effect, Schema } from "effect"
import { Context } from "effect"
import type { PipelineStep } from "../pipeline/PipelineStep"
import type { UpstreamError } from "./UpstreamError"

export interface LlmUsage {
  readonly model: string
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface LlmRequest {
  /** The pipeline step asking; adapters may pick a per-step model. */
  readonly step: PipelineStep
  readonly system: string
  readonly prompt: string
  readonly maxTokens?: number
}

/** A language model. Structured replies are validated against a schema; a reply that does not decode is an error. */
export class Llm extends Context.Tag("@scribe/core/Llm")<
  Llm,
  {
    readonly generateText: (
      request: LlmRequest
    ) => Effect.Effect<{ readonly text: string; readonly usage: LlmUsage }, UpstreamError>
    readonly generateObject: <A, I>(
      request: LlmRequest & { readonly schema: Schema.Schema<A, I>; readonly schemaName: string }
    ) => Effect.Effect<{ readonly value: A; readonly usage: LlmUsage }, UpstreamError>
  }
>() {}
