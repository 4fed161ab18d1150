import { HttpApiBuilder, type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import {
  FieldError,
  InternalServerError,
  InternalServerErrorBody,
  ValidationError,
  ValidationErrorBody
} from "@scribe/client/ApiErrors"
import { fieldErrors } from "@scribe/client/FieldErrors"
import { IdempotencyHeaders } from "@scribe/client/Wire"
import { Cause, Effect, Layer, Option, Predicate, Schema } from "effect"
import { tooLargeSentence } from "./RequestGuard"
import { currentRouteTable } from "./RouteTable"

const headerNames: ReadonlySet<PropertyKey> = new Set(Object.keys(IdempotencyHeaders.fields))
const isHeader = (key: PropertyKey | undefined) => key !== undefined && headerNames.has(key)

const isDecodeError = (u: unknown): u is HttpApiDecodeError =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "HttpApiDecodeError"

const isRouteNotFound = (u: unknown) => typeof u === "object" && u !== null && "_tag" in u && u._tag === "RouteNotFound"

const isRequestBodyError = (u: unknown): boolean =>
  typeof u === "object" &&
  u !== null &&
  "_tag" in u &&
  u._tag === "RequestError" &&
  "reason" in u &&
  u.reason === "Decode"

/** The multipart parser's failure on an upload route (only upload routes reach it): too large, or malformed. */
const multipartReason = (u: unknown): string | undefined =>
  Predicate.isTagged(u, "MultipartError") && Predicate.hasProperty(u, "reason") && typeof u.reason === "string"
    ? u.reason
    : undefined

const encodeValidation = Schema.encode(ValidationErrorBody)
const encodeInternal = Schema.encode(InternalServerErrorBody)

const respond = <A>(encode: (a: A) => Effect.Effect<unknown, unknown>, error: A, status: number) =>
  encode(error).pipe(
    Effect.flatMap((body) => HttpServerResponse.json(body, { status })),
    Effect.orDie
  )

/**
 * Answers unknown routes with 404 `{"detail":"Not Found"}`, a known path asked with a method it does not serve with 405
 * and `Allow`, and request decoding failures as FastAPI does (422 with one `detail` entry per field, located in `body`,
 * `query` or `header`; malformed JSON is `json_invalid`), and turns any defect into a bare 500 whose cause only reaches
 * the log. Path parameters are plain strings in the contract and are validated by the use-cases (400 with a sentence).
 */
export const RequestErrorsLive = HttpApiBuilder.middleware(
  Effect.map(
    HttpApiBuilder.Router,
    (router) => (app: HttpApp.Default) =>
      Effect.catchAllCause(app, (cause) =>
        Effect.gen(function* () {
          const failure = Cause.failureOption<unknown>(cause)
          if (Option.isSome(failure) && isDecodeError(failure.value)) {
            const request = yield* HttpServerRequest.HttpServerRequest
            const inputs = request.method === "GET" || request.method === "DELETE" ? "query" : "body"
            // Headers are decoded apart from the payload; an issue about a declared header is located there.
            const { issues } = failure.value
            const detail = [
              ...fieldErrors(
                "header",
                issues.filter((issue) => isHeader(issue.path[0]))
              ),
              ...fieldErrors(
                inputs,
                issues.filter((issue) => !isHeader(issue.path[0]))
              )
            ]
            return yield* respond(encodeValidation, new ValidationError({ detail }), 422)
          }
          if (Option.isSome(failure) && isRouteNotFound(failure.value)) {
            const request = yield* HttpServerRequest.HttpServerRequest
            const table = yield* Effect.provideService(currentRouteTable, HttpApiBuilder.Router, router)
            const allowed = table.allowed(request.url)
            return allowed.length === 0
              ? HttpServerResponse.unsafeJson({ detail: "Not Found" }, { status: 404 })
              : HttpServerResponse.unsafeJson(
                  { detail: "Method Not Allowed" },
                  { status: 405, headers: { allow: allowed.join(", ") } }
                )
          }
          const defect = Cause.dieOption(cause)
          if (Option.isSome(defect) && isRequestBodyError(defect.value)) {
            const detail = [new FieldError({ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" })]
            return yield* respond(encodeValidation, new ValidationError({ detail }), 422)
          }
          const multipart = Option.flatMapNullable(defect, multipartReason)
          if (Option.isSome(multipart)) {
            return multipart.value.endsWith("TooLarge")
              ? HttpServerResponse.unsafeJson({ detail: tooLargeSentence }, { status: 413 })
              : HttpServerResponse.unsafeJson({ detail: "The multipart body could not be read" }, { status: 400 })
          }
          if (Option.isSome(defect)) {
            yield* Effect.logError("unexpected failure", cause)
            return yield* respond(encodeInternal, new InternalServerError(), 500)
          }
          return yield* Effect.failCause(cause)
        })
      )
  )
).pipe(Layer.provide(HttpApiBuilder.Router.Live))
