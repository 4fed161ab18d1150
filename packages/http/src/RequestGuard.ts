import { type HttpApp, HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { Headers } from "@effect/platform/Headers"
import { Effect, Either, Option } from "effect"
import type { Options } from "./EdgePolicy"
import { currentRouteTable } from "./RouteTable"

export const tooLargeSentence = "Request body too large"

const bodyMethods: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"])

/** The media type of a `Content-Type`, without parameters (`application/json; charset=utf-8` → `application/json`). */
export const mediaType = (contentType: string | undefined): string | undefined => {
  const essence = contentType?.split(";")[0]?.trim().toLowerCase()
  return essence === undefined || essence === "" ? undefined : essence
}

const hasBody = (headers: Headers) =>
  headers["transfer-encoding"] !== undefined ||
  (headers["content-length"] !== undefined && headers["content-length"] !== "0")

/**
 * What makes JSON text too costly to validate, found in one pass without parsing (strings, escapes included, are
 * skipped): arrays and objects nested deeper than `maxDepth`, or more than `maxValues` values (members and elements).
 */
export const jsonExcess = (text: string, maxDepth: number, maxValues: number): "depth" | "values" | undefined => {
  let depth = 0
  let values = 1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x2c) {
      if (++values > maxValues) return "values"
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return "depth"
      if (++values > maxValues) return "values"
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return undefined
}

/** 413, and the connection is closed: the rest of an oversized body is never read. */
const tooLarge = HttpServerResponse.unsafeJson(
  { detail: tooLargeSentence },
  { status: 413, headers: { connection: "close" } }
)

const lengthRequired = HttpServerResponse.unsafeJson(
  { detail: "Length Required: send the JSON body with a Content-Length header" },
  { status: 411, headers: { connection: "close" } }
)

const emptyUpload = HttpServerResponse.unsafeJson({ detail: "The upload is empty" }, { status: 400 })

const unsupported = (accepted: ReadonlyArray<string>) =>
  HttpServerResponse.unsafeJson(
    { detail: `Unsupported Media Type: send the body as ${accepted.join(" or ")}` },
    { status: 415, headers: { accept: accepted.join(", ") } }
  )

const tooCostly = (msg: string) =>
  HttpServerResponse.unsafeJson({ detail: [{ loc: ["body"], msg, type: "json_invalid" }] }, { status: 422 })

// What @effect/platform-node fails the body with when it grows past `MaxBodySize`.
const isOverLimit = (error: { readonly cause?: unknown }) =>
  error.cause instanceof Error && error.cause.message === "maxBytes exceeded"

/**
 * Refuses, before any handler (and so before authentication, quotas or storage) runs:
 * - a body larger than the limit → 413, from its `Content-Length`, before a byte of it is read; whatever is read
 *   is read under the limit too (`MaxBodySize`: never buffered past it); an upload route has its own limit;
 * - a body on a JSON route that is not `application/json` (any charset; no `Content-Type` counts as JSON, as the
 *   router reads it) → 415; only upload routes take their own media types (multipart);
 * - a JSON body without `Content-Length` (chunked) → 411;
 * - JSON nested deeper, or with more values, than the policy allows → 422 located at the body, before the schema sees
 *   it (the cost of validating, and of reporting every violation, grows with both).
 * Unknown routes and wrong methods pass untouched (404 / 405 come from the router), under the same size limit.
 */
export const requestGuard =
  (policy: Options) =>
  <E, R>(app: HttpApp.Default<E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const route = (yield* currentRouteTable).find(request.method, request.url)
      const upload = route && policy.uploads.find((u) => u.method === route.method && u.path === route.path)
      const type = mediaType(request.headers["content-type"])
      const uploading = upload !== undefined && type !== undefined && upload.mediaTypes.includes(type)
      const limit = uploading ? upload.maxBodyBytes : policy.maxBodyBytes
      const declared = request.headers["content-length"]
      if (declared !== undefined && Number(declared) > limit) return tooLarge
      const limited = HttpIncomingMessage.withMaxBodySize(app, Option.some(limit))
      // A request without a body has nothing to bound: the polled reads skip setting the limit.
      if (route === undefined || !bodyMethods.has(request.method))
        return yield* hasBody(request.headers) ? limited : app

      // The platform's multipart parser waits for good on an empty body.
      if (uploading) return hasBody(request.headers) ? yield* limited : emptyUpload
      const accepted =
        upload === undefined
          ? ["application/json"]
          : upload.acceptsJson
            ? [...upload.mediaTypes, "application/json"]
            : upload.mediaTypes
      if (upload !== undefined && !upload.acceptsJson) return unsupported(accepted)
      // Checked with or without a body: a declared multipart type alone sends the router to the multipart parser.
      if (type !== undefined && type !== "application/json") return unsupported(accepted)
      if (!hasBody(request.headers)) return yield* limited
      // Node destroys the connection when a streamed body is cut short, so an oversized chunked body could not be
      // answered 413; a JSON body is small and every client knows its length.
      if (declared === undefined) return lengthRequired
      // Read here under the limit; the route reads the same (memoised) text again.
      const text = yield* Effect.either(HttpIncomingMessage.withMaxBodySize(request.text, Option.some(limit)))
      if (Either.isLeft(text)) {
        return isOverLimit(text.left)
          ? tooLarge
          : HttpServerResponse.unsafeJson({ detail: "The request body could not be read" }, { status: 400 })
      }
      const excess = jsonExcess(text.right, policy.maxJsonDepth, policy.maxJsonValues)
      if (excess === "depth") return tooCostly(`JSON nested deeper than ${policy.maxJsonDepth} levels`)
      if (excess === "values") return tooCostly(`JSON with more than ${policy.maxJsonValues} values`)
      return yield* limited
    })
