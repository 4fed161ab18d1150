import { UpstreamError, type UpstreamFailure } from "@scribe/core/upstream/UpstreamError"
import { Option } from "effect"
import OpenAI from "openai"
import * as RetryAfter from "./RetryAfter"

/**
 * What the OpenAI adapter sends and reads besides the call itself: how an SDK failure maps to an upstream failure,
 * the structured-output `response_format` for a JSON schema (strict when OpenAI's strict mode can take it), and the
 * JSON of a reply.
 */

export const upstream = (kind: UpstreamFailure, message: string, retryAfterMs: number | null = null) =>
  new UpstreamError({ service: "llm", kind, message, retryAfterMs })

/** Maps what the SDK threw to a failure kind, with the server's own Retry-After when it gave one. */
export const classify = (error: unknown): UpstreamError => {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return upstream("timeout", "the LLM did not answer in time")
  if (error instanceof OpenAI.APIUserAbortError) return upstream("unavailable", "the LLM call was aborted")
  if (error instanceof OpenAI.APIConnectionError) {
    return upstream(
      "unavailable",
      `could not reach the LLM: ${error.cause instanceof Error ? error.cause.message : error.message}`
    )
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0
    const retryAfterMs =
      error.headers === undefined
        ? null
        : RetryAfter.parse(
            { retryAfter: error.headers.get("retry-after"), retryAfterMs: error.headers.get("retry-after-ms") },
            Date.now()
          )
    const message = `LLM answered ${error.message}`
    if (status === 429) {
      return error.code === "insufficient_quota" || error.type === "insufficient_quota"
        ? upstream("quota", message)
        : upstream("rate_limited", message, retryAfterMs)
    }
    if (status === 401 || status === 403) return upstream("auth", message)
    if (status === 408) return upstream("timeout", message)
    if (status === 409 || status >= 500) return upstream("unavailable", message, retryAfterMs)
    return upstream("invalid_request", message)
  }
  return upstream("unavailable", `LLM call failed: ${error instanceof Error ? error.message : String(error)}`)
}

// ---------------------------------------------------------------------------------------------------------------
// Structured output

/** Keywords OpenAI's strict structured outputs accept; a schema using others is sent non-strict. */
const strictKeywords = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "anyOf",
  "$ref",
  "$defs",
  "const",
  "description",
  "title"
])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Strict mode needs every object closed with every property required, and only the keywords above. */
const strictCompatible = (node: unknown): boolean => {
  if (Array.isArray(node)) return node.every(strictCompatible)
  if (!isRecord(node)) return true
  for (const [key, value] of Object.entries(node)) {
    if (!strictKeywords.has(key)) return false
    if (key === "properties" || key === "$defs") {
      if (!isRecord(value) || !Object.values(value).every(strictCompatible)) return false
    } else if ((key === "items" || key === "anyOf") && !strictCompatible(value)) return false
  }
  if (node.type === "object") {
    const properties = isRecord(node.properties) ? Object.keys(node.properties) : []
    const required = Array.isArray(node.required) ? node.required : []
    if (node.additionalProperties !== false || !properties.every((p) => required.includes(p))) return false
  }
  return true
}

export interface ResponseFormat {
  readonly format: NonNullable<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming["response_format"]>
  /** Appended to the system prompt when the schema cannot be sent as `json_schema`. */
  readonly instructions: string | null
}

export const responseFormat = (jsonSchema: Record<string, unknown>, schemaName: string): ResponseFormat => {
  const { $schema: _, ...schema } = jsonSchema
  if (schema.type !== "object") {
    return {
      format: { type: "json_object" },
      instructions: `Reply with JSON only, matching this JSON Schema:\n${JSON.stringify(schema)}`
    }
  }
  const name = schemaName.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "result"
  return {
    format: { type: "json_schema", json_schema: { name, schema, strict: strictCompatible(schema) } },
    instructions: null
  }
}

/** The reply's JSON: whole, or inside a ```json fence some compatible servers add. */
export const parseJson = (content: string): Option.Option<unknown> => {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(content)
  try {
    return Option.some(JSON.parse(fenced?.[1] ?? content))
  } catch {
    return Option.none()
  }
}
