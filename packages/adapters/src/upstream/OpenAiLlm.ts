import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Metrics from "@scribe/core/ops/Metrics"
import { type PipelineStep, pipelineSteps } from "@scribe/core/pipeline/PipelineStep"
import { Llm, type LlmRequest, type LlmUsage } from "@scribe/core/upstream/Llm"
import type { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import {
  Config,
  ConfigError,
  type Context,
  Duration,
  Effect,
  Either,
  JSONSchema,
  Layer,
  Option,
  ParseResult,
  Redacted,
  Schema,
  type Scope
} from "effect"
import OpenAI from "openai"
import { isHttpUrl, optionalSecret, optionalString } from "../ops/ConfigReaders"
import { classify, parseJson, type ResponseFormat, responseFormat, upstream } from "./OpenAiWire"
import * as PlainHttp from "./PlainHttp"
import * as UpstreamBudget from "./UpstreamBudget"

/** Sent with every call, naming the pipeline step: proxies and the simulated world can route or count by it. */
export const stepHeader = "x-scribe-step"

export const openAiBaseUrl = "https://api.openai.com/v1"

export { classify } from "./OpenAiWire"

export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** Any OpenAI-compatible endpoint (default OpenAI's). */
  readonly baseUrl?: string
  readonly model: string
  /** Per-step model overrides. */
  readonly stepModels?: Partial<Record<PipelineStep, string>>
  /** Requests and tokens per minute across every worker sharing the budget store. */
  readonly requestsPerMinute: number
  readonly tokensPerMinute: number
  /** Per call (default 120 s). */
  readonly timeout?: Duration.DurationInput
  /** Completion tokens assumed for budgeting when a request sets no `maxTokens` (default 1024). */
  readonly assumedCompletionTokens?: number
  /** The budgets' key prefix (default `llm`). */
  readonly budgetKey?: string
  /**
   * How the completion cap is sent: OpenAI wants `max_completion_tokens`; many compatible servers only know
   * `max_tokens`. Default: the former for OpenAI's own URL, the latter elsewhere.
   */
  readonly maxTokensParameter?: "max_tokens" | "max_completion_tokens"
}

/** Builds an `Llm` on the `openai` SDK. No SDK retries: failures are classified and retried by the worker. */
export const make = (
  options: Options
): Effect.Effect<Context.Tag.Service<Llm>, never, RateLimiter.RateLimiter | Scope.Scope> =>
  Effect.gen(function* () {
    const limiter = yield* RateLimiter.RateLimiter
    const timeout = Duration.decode(options.timeout ?? "120 seconds")
    const baseUrl = options.baseUrl ?? openAiBaseUrl
    const maxTokensParameter =
      options.maxTokensParameter ?? (baseUrl === openAiBaseUrl ? "max_completion_tokens" : "max_tokens")
    const assumedCompletion = options.assumedCompletionTokens ?? 1024
    const budgetKey = options.budgetKey ?? "llm"
    // Requests are paced evenly, 5% slower than the RPM, with a burst of at most a tenth of a second's worth: providers
    // count RPM over sliding windows, and a second's burst on top of the steady rate (a batch's first jobs all calling
    // at once) was refused with 429s, each a job retried. Tokens may be spent a whole minute's worth at once.
    const rpm = Math.max(1, Math.floor(options.requestsPerMinute))
    const burst = Math.ceil(rpm / 600)
    const requests: UpstreamBudget.Budget = {
      key: `${budgetKey}:rpm`,
      limit: burst,
      window: Duration.millis(((60_000 * burst) / rpm) * 1.05),
      algorithm: "token-bucket"
    }
    const tokens = (count: number): UpstreamBudget.Budget => ({
      key: `${budgetKey}:tpm`,
      limit: Math.max(1, Math.floor(options.tokensPerMinute)),
      window: "1 minute",
      algorithm: "token-bucket",
      tokens: count
    })

    // Closing the layer aborts the calls still in flight.
    const { client, closing } = yield* Effect.acquireRelease(
      Effect.sync(() => ({
        client: new OpenAI({
          apiKey: Redacted.value(options.apiKey),
          baseURL: baseUrl,
          organization: null,
          project: null,
          maxRetries: 0,
          timeout: Duration.toMillis(timeout),
          // Node's HTTP client under the SDK instead of undici's `fetch`: a call costs ~1 ms less CPU.
          fetch: PlainHttp.make().fetch
        }),
        closing: new AbortController()
      })),
      ({ closing }) => Effect.sync(() => closing.abort())
    )

    const host = URL.canParse(baseUrl) ? new URL(baseUrl).host : "unknown"
    const modelFor = (step: PipelineStep): string => options.stepModels?.[step] ?? options.model

    /** One chat completion within the budgets; the reply's text and usage. */
    const complete = (
      request: LlmRequest,
      format: ResponseFormat | null
    ): Effect.Effect<{ readonly text: string; readonly usage: LlmUsage }, UpstreamError> =>
      Effect.gen(function* () {
        const model = modelFor(request.step)
        const system = format?.instructions ? `${request.system}\n\n${format.instructions}` : request.system
        const schemaChars = format === null ? 0 : JSON.stringify(format.format).length
        const estimate =
          Math.ceil((system.length + request.prompt.length + schemaChars) / 4) +
          (request.maxTokens ?? assumedCompletion)
        yield* UpstreamBudget.take(limiter, requests)
        yield* UpstreamBudget.take(limiter, tokens(estimate))
        yield* Effect.annotateCurrentSpan({ model, step: request.step, "upstream.host": host })

        const params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
          model,
          messages: [
            { role: "system", content: system },
            { role: "user", content: request.prompt }
          ],
          ...(request.maxTokens === undefined
            ? {}
            : maxTokensParameter === "max_tokens"
              ? { max_tokens: request.maxTokens }
              : { max_completion_tokens: request.maxTokens }),
          ...(format !== null ? { response_format: format.format } : {})
        }
        const completion = yield* Effect.tryPromise({
          try: (signal) =>
            client.chat.completions.create(params, {
              signal: AbortSignal.any([signal, closing.signal]),
              headers: { [stepHeader]: request.step }
            }),
          catch: classify
        }).pipe(
          Effect.tapError((error) =>
            // Both come from a 429: a rate limit, or the quota it reports as one.
            error.kind === "rate_limited" || error.kind === "quota" ? Metrics.recordRateLimited("llm") : Effect.void
          )
        )

        // A proxy's error page or a non-OpenAI answer can come back as a 200 that is not a completion.
        if (typeof completion !== "object" || completion === null || !Array.isArray(completion.choices)) {
          return yield* upstream("malformed_response", "the LLM answer is not a chat completion")
        }
        const usage: LlmUsage = {
          model: completion.model || model,
          promptTokens: completion.usage?.prompt_tokens ?? 0,
          completionTokens: completion.usage?.completion_tokens ?? 0
        }
        yield* Effect.annotateCurrentSpan({
          "llm.prompt_tokens": usage.promptTokens,
          "llm.completion_tokens": usage.completionTokens
        })
        yield* Metrics.recordTokens(usage.model, usage.promptTokens, usage.completionTokens)
        const used = usage.promptTokens + usage.completionTokens
        if (used > estimate) yield* UpstreamBudget.charge(limiter, tokens(used - estimate))

        const choice = completion.choices[0]
        if (choice === undefined) return yield* upstream("malformed_response", "the LLM returned no choice")
        if (choice.message.refusal) {
          return yield* upstream("malformed_response", `the LLM refused: ${choice.message.refusal.slice(0, 300)}`)
        }
        const text = choice.message.content ?? ""
        if (text.trim().length === 0) return yield* upstream("malformed_response", "the LLM returned no content")
        if (choice.finish_reason === "length" && format !== null) {
          return yield* upstream("malformed_response", "the LLM reply was cut off at the token limit")
        }
        return { text, usage }
      }).pipe(Metrics.trackUpstream("llm"))

    const generateText = Effect.fn("OpenAiLlm.generateText")((request: LlmRequest) => complete(request, null))

    const jsonSchemas = new WeakMap<object, Record<string, unknown>>()
    const jsonSchemaOf = <A, I>(schema: Schema.Schema<A, I>): Effect.Effect<Record<string, unknown>, UpstreamError> =>
      Effect.suspend(() => {
        const cached = jsonSchemas.get(schema)
        if (cached !== undefined) return Effect.succeed(cached)
        return Effect.try({
          try: () => {
            const made: Record<string, unknown> = { ...JSONSchema.make(schema) }
            jsonSchemas.set(schema, made)
            return made
          },
          catch: (error) => upstream("invalid_request", `the schema has no JSON Schema form: ${String(error)}`)
        })
      })

    const generateObject = Effect.fn("OpenAiLlm.generateObject")(function* <A, I>(
      request: LlmRequest & { readonly schema: Schema.Schema<A, I>; readonly schemaName: string }
    ) {
      yield* Effect.annotateCurrentSpan("schema", request.schemaName)
      const format = responseFormat(yield* jsonSchemaOf(request.schema), request.schemaName)
      const { text, usage } = yield* complete(request, format)
      const json = parseJson(text)
      if (Option.isNone(json)) {
        return yield* upstream("malformed_response", `the LLM reply for ${request.schemaName} is not JSON`)
      }
      const value = yield* Schema.decodeUnknownEither(request.schema)(json.value).pipe(
        Either.mapLeft((error) =>
          upstream(
            "malformed_response",
            `the LLM reply does not match ${request.schemaName}: ${ParseResult.TreeFormatter.formatErrorSync(error).slice(0, 500)}`
          )
        )
      )
      return { value, usage }
    })

    return Llm.of({ generateText, generateObject })
  })

export const layer = (options: Options): Layer.Layer<Llm, never, RateLimiter.RateLimiter> =>
  Layer.scoped(Llm, make(options))

const positiveInteger = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

/**
 * Whether an LLM is configured (`OPENAI_API_KEY` or `OPENAI_BASE_URL` set); without one the pipeline uses its
 * deterministic composer.
 */
export const isConfigured: Config.Config<boolean> = Config.all([
  optionalString("OPENAI_API_KEY"),
  optionalString("OPENAI_BASE_URL")
]).pipe(Config.map(([key, url]) => Option.isSome(key) || Option.isSome(url)))

/**
 * Reads `OPENAI_API_KEY` (redacted), `OPENAI_BASE_URL`, `SCRIBE_LLM_MODEL` (default `gpt-4o-mini`), the per-step
 * `SCRIBE_LLM_MODEL_TEMPLATE_PARSER`, `…_WEB_SCRAPER`, `…_ARXIV_HELPER`, `…_EMAIL_COMPOSER`, and the budgets
 * `SCRIBE_LLM_RPM` (default 500) and `SCRIBE_LLM_TPM` (default 200000). A key is required unless a base URL is set
 * (local servers often need none).
 */
export const layerConfig: Layer.Layer<Llm, ConfigError.ConfigError, RateLimiter.RateLimiter> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const apiKey = yield* optionalSecret("OPENAI_API_KEY")
    const baseUrl = yield* optionalString("OPENAI_BASE_URL").pipe(
      Config.validate({
        message: "OPENAI_BASE_URL must be an absolute http(s) URL",
        validation: (url) => Option.isNone(url) || isHttpUrl(url.value)
      })
    )
    if (Option.isNone(apiKey) && Option.isNone(baseUrl)) {
      return yield* Effect.fail(
        ConfigError.MissingData(["OPENAI_API_KEY"], "No LLM is configured: set OPENAI_API_KEY (and/or OPENAI_BASE_URL)")
      )
    }
    const model = yield* Config.string("SCRIBE_LLM_MODEL").pipe(
      Config.map((m) => m.trim()),
      Config.withDefault("gpt-4o-mini")
    )
    const stepModels: Partial<Record<PipelineStep, string>> = {}
    for (const step of pipelineSteps) {
      const override = yield* optionalString(`SCRIBE_LLM_MODEL_${step.toUpperCase()}`)
      if (Option.isSome(override)) stepModels[step] = override.value
    }
    const requestsPerMinute = yield* positiveInteger("SCRIBE_LLM_RPM", 500)
    const tokensPerMinute = yield* positiveInteger("SCRIBE_LLM_TPM", 200_000)
    return layer({
      apiKey: Option.getOrElse(apiKey, () => Redacted.make("not-needed")),
      ...(Option.isSome(baseUrl) ? { baseUrl: baseUrl.value.replace(/\/+$/, "") } : {}),
      model,
      stepModels,
      requestsPerMinute,
      tokensPerMinute
    })
  })
)
