import type * as Http from "node:http"
import { performance } from "node:perf_hooks"
import { Effect, type Scope } from "effect"
import * as LocalServer from "./LocalServer"

/** The header the OpenAI adapter sends with each call, naming the pipeline step asking. */
export const stepHeader = "x-scribe-step"

export interface ChatMessage {
  readonly role: string
  readonly content: string
}

/** A chat-completions request as the simulated LLM understood it. */
export interface ChatRequest {
  readonly model: string
  readonly messages: ReadonlyArray<ChatMessage>
  /** All system messages, joined by newlines. */
  readonly system: string
  /** All user messages, joined by newlines. */
  readonly prompt: string
  /** The pipeline step from the `x-scribe-step` header, when sent. */
  readonly step: string | null
  readonly responseFormat: "text" | "json_object" | "json_schema"
  /** `response_format.json_schema.name` and `.schema` for structured outputs. */
  readonly schemaName: string | null
  readonly schema: unknown
  readonly maxTokens: number | null
  /** The bearer token sent. */
  readonly apiKey: string | null
  /** 0-based number of this call on the server, and among the calls of the same step. */
  readonly index: number
  readonly stepIndex: number
  readonly body: unknown
  /** The status answered, once the headers were sent. */
  readonly status: number | null
}

interface Timing {
  /** Wait before answering (multiplied by the world's scale). */
  readonly latencyMs?: number
}

export type LlmReply =
  | (Timing & {
      readonly _tag: "Content"
      readonly content: string
      readonly usage?: { readonly promptTokens: number; readonly completionTokens: number }
      readonly model?: string
      readonly finishReason?: string
      /** Send the headers at once, then the body in pieces spread over this many ms (scaled): a slow stream. */
      readonly trickleMs?: number
    })
  | (Timing & {
      readonly _tag: "Error"
      readonly status: number
      readonly type: string
      readonly code: string | null
      readonly message: string
      readonly headers: Readonly<Record<string, string>>
    })
  | (Timing & {
      readonly _tag: "Raw"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: string
    })
  | { readonly _tag: "Hang" }

type ContentOptions = Timing & {
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number }
  readonly model?: string
  readonly finishReason?: string
  readonly trickleMs?: number
}

/** Reply constructors for scripts. */
export const Reply = {
  /** A JSON object as the message content (what structured outputs return). */
  json: (value: unknown, options: ContentOptions = {}): LlmReply => ({
    _tag: "Content",
    content: JSON.stringify(value),
    ...options
  }),
  text: (content: string, options: ContentOptions = {}): LlmReply => ({ _tag: "Content", content, ...options }),
  /** Content that is not JSON although JSON was asked for. */
  malformed: (content = 'Sure! Here is the JSON you asked for: {"subject": "Hello', options: ContentOptions = {}) =>
    ({ _tag: "Content", content, ...options }) satisfies LlmReply,
  /** 429 rate limit (transient) with `Retry-After` in seconds, as an HTTP date, and/or OpenAI's `retry-after-ms`. */
  rateLimited: (
    options: Timing & {
      readonly retryAfterSeconds?: number
      readonly retryAfterDate?: Date
      readonly retryAfterMs?: number
    } = {}
  ): LlmReply => ({
    _tag: "Error",
    status: 429,
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for requests. Please try again later.",
    headers: {
      ...(options.retryAfterSeconds !== undefined ? { "retry-after": String(options.retryAfterSeconds) } : {}),
      ...(options.retryAfterDate !== undefined ? { "retry-after": options.retryAfterDate.toUTCString() } : {}),
      ...(options.retryAfterMs !== undefined ? { "retry-after-ms": String(options.retryAfterMs) } : {})
    },
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {})
  }),
  /** 429 `insufficient_quota`: the account is out of credit (permanent). */
  insufficientQuota: (): LlmReply => ({
    _tag: "Error",
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: "You exceeded your current quota, please check your plan and billing details.",
    headers: {}
  }),
  invalidApiKey: (): LlmReply => ({
    _tag: "Error",
    status: 401,
    type: "invalid_request_error",
    code: "invalid_api_key",
    message: "Incorrect API key provided.",
    headers: {}
  }),
  badRequest: (message = "Invalid request."): LlmReply => ({
    _tag: "Error",
    status: 400,
    type: "invalid_request_error",
    code: null,
    message,
    headers: {}
  }),
  serverError: (status = 500): LlmReply => ({
    _tag: "Error",
    status,
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request.",
    headers: {}
  }),
  raw: (status: number, body: string, headers: Readonly<Record<string, string>> = {}): LlmReply => ({
    _tag: "Raw",
    status,
    body,
    headers
  }),
  /** Never answers (until the client gives up). */
  hang: (): LlmReply => ({ _tag: "Hang" }),
  /** The same reply after `latencyMs` (scaled). */
  slow: (latencyMs: number, reply: LlmReply): LlmReply => (reply._tag === "Hang" ? reply : { ...reply, latencyMs })
} as const

export type LlmScript = (request: ChatRequest) => LlmReply | Promise<LlmReply>

/** The default script: a 400 naming what was not scripted, so an unscripted call fails fast and visibly. */
export const unscripted: LlmScript = (request) =>
  Reply.badRequest(`testkit: no scripted reply for step ${request.step ?? "?"} (schema ${request.schemaName ?? "-"})`)

export interface Options {
  readonly script?: LlmScript
  /** When set, any other bearer token gets 401 `invalid_api_key`. */
  readonly apiKey?: string
  /** Requests per (scaled) minute; beyond it 429 with `Retry-After` and `retry-after-ms`. */
  readonly rpm?: number
  /** Latency added to every reply that sets none (scaled). */
  readonly latencyMs?: number
}

export interface FakeLlm extends LocalServer.LocalServer {
  /** The OpenAI base URL: `${origin}/v1`. */
  readonly baseUrl: string
  /** Every chat-completions request, parsed, in arrival order. */
  readonly requests: ReadonlyArray<ChatRequest>
  /** Number of chat-completions calls, for one step or all. */
  readonly calls: (step?: string) => number
  /** Calls that got a 2xx answer. */
  readonly succeeded: (step?: string) => number
  readonly setScript: (script: LlmScript) => void
  /** Forgets requests and the budget window, and restores the initial script. */
  readonly reset: () => void
}

const asText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content
          .map((part: unknown) =>
            typeof part === "object" && part !== null && "text" in part && typeof part.text === "string"
              ? part.text
              : ""
          )
          .join("")
      : ""

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {}

const parseRequest = (
  body: unknown,
  entry: LocalServer.LoggedRequest,
  index: number,
  stepIndex: (step: string | null) => number
): ChatRequest => {
  const headers = entry.headers
  const fields = record(body)
  const messages = (Array.isArray(fields.messages) ? fields.messages : []).map((m: unknown) => {
    const message = record(m)
    return { role: typeof message.role === "string" ? message.role : "", content: asText(message.content) }
  })
  const format = record(fields.response_format)
  const jsonSchema = record(format.json_schema)
  const stepValue = headers[stepHeader]
  const step = typeof stepValue === "string" ? stepValue : null
  const auth = headers.authorization
  const maxTokens = fields.max_completion_tokens ?? fields.max_tokens
  return {
    model: typeof fields.model === "string" ? fields.model : "",
    messages,
    system: messages
      .filter((m) => m.role === "system" || m.role === "developer")
      .map((m) => m.content)
      .join("\n"),
    prompt: messages
      .filter((m) => m.role === "user")
      .map((m) => m.content)
      .join("\n"),
    step,
    responseFormat:
      format.type === "json_schema" ? "json_schema" : format.type === "json_object" ? "json_object" : "text",
    schemaName: typeof jsonSchema.name === "string" ? jsonSchema.name : null,
    schema: jsonSchema.schema ?? null,
    maxTokens: typeof maxTokens === "number" ? maxTokens : null,
    apiKey: typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : null,
    index,
    stepIndex: stepIndex(step),
    body,
    get status() {
      return entry.status
    }
  }
}

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

const errorBody = (reply: Extract<LlmReply, { _tag: "Error" }>) => ({
  error: { message: reply.message, type: reply.type, param: null, code: reply.code }
})

/** An OpenAI-compatible `/v1/chat/completions` (and `/v1/models`) on 127.0.0.1. */
export const make = (options: Options = {}, scale = 1): Effect.Effect<FakeLlm, never, Scope.Scope> => {
  const initial = options.script ?? unscripted
  let script = initial
  const requests: Array<ChatRequest> = []
  const accepted: Array<number> = []
  const windowMs = 60_000 * scale
  let completionId = 0

  const send = async (request: ChatRequest, reply: LlmReply, response: Http.ServerResponse): Promise<void> => {
    if (reply._tag === "Hang") return
    await LocalServer.delay((reply.latencyMs ?? options.latencyMs ?? 0) * scale, response)
    if (response.destroyed) return
    switch (reply._tag) {
      case "Error":
        return LocalServer.sendJson(response, reply.status, errorBody(reply), reply.headers)
      case "Raw":
        response.writeHead(reply.status, reply.headers).end(reply.body)
        return
      case "Content": {
        const usage = reply.usage ?? {
          promptTokens: estimateTokens(request.messages.map((m) => m.content).join("")),
          completionTokens: estimateTokens(reply.content)
        }
        const body = JSON.stringify({
          id: `chatcmpl-testkit-${++completionId}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: reply.model ?? request.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: reply.content, refusal: null },
              logprobs: null,
              finish_reason: reply.finishReason ?? "stop"
            }
          ],
          usage: {
            prompt_tokens: usage.promptTokens,
            completion_tokens: usage.completionTokens,
            total_tokens: usage.promptTokens + usage.completionTokens
          },
          system_fingerprint: "fp_testkit"
        })
        const trickle = (reply.trickleMs ?? 0) * scale
        if (trickle <= 0) {
          response.writeHead(200, { "content-type": "application/json" }).end(body)
          return
        }
        response.writeHead(200, { "content-type": "application/json" })
        const pieces = 10
        const size = Math.ceil(body.length / pieces)
        for (let i = 0; i < pieces && !response.destroyed; i++) {
          response.write(body.slice(i * size, (i + 1) * size))
          await LocalServer.delay(trickle / pieces, response)
        }
        if (!response.destroyed) response.end()
        return
      }
    }
  }

  const overBudget = (now: number): number | null => {
    if (options.rpm === undefined) return null
    while (accepted.length > 0 && accepted[0]! <= now - windowMs) accepted.shift()
    if (accepted.length < options.rpm) {
      accepted.push(now)
      return null
    }
    return accepted[0]! + windowMs - now
  }

  return LocalServer.make(async (entry, response) => {
    if (entry.method === "GET" && entry.path === "/v1/models") {
      return LocalServer.sendJson(response, 200, {
        object: "list",
        data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "testkit" }]
      })
    }
    if (entry.method !== "POST" || entry.path !== "/v1/chat/completions") {
      return LocalServer.sendJson(response, 404, {
        error: { message: `Unknown path ${entry.path}`, type: "invalid_request_error", param: null, code: null }
      })
    }
    let body: unknown
    try {
      body = JSON.parse(entry.body)
    } catch {
      return LocalServer.sendJson(response, 400, {
        error: { message: "We could not parse the JSON body.", type: "invalid_request_error", param: null, code: null }
      })
    }
    const request = parseRequest(body, entry, requests.length, (step) => requests.filter((r) => r.step === step).length)
    requests.push(request)
    if (options.apiKey !== undefined && request.apiKey !== options.apiKey) {
      return send(request, Reply.invalidApiKey(), response)
    }
    const waitMs = overBudget(performance.now())
    if (waitMs !== null) {
      return send(
        request,
        Reply.rateLimited({
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
          retryAfterMs: Math.ceil(waitMs)
        }),
        response
      )
    }
    return send(request, await script(request), response)
  }).pipe(
    Effect.map((server) => ({
      ...server,
      baseUrl: `${server.origin}/v1`,
      requests,
      calls: (step?: string) => (step === undefined ? requests : requests.filter((r) => r.step === step)).length,
      succeeded: (step?: string) =>
        requests.filter((r) => r.status !== null && r.status < 300 && (step === undefined || r.step === step)).length,
      setScript: (next: LlmScript) => {
        script = next
      },
      reset: () => {
        script = initial
        requests.length = 0
        accepted.length = 0
        server.log.clear()
      }
    }))
  )
}
