import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import {
  FieldError,
  InternalServerError,
  InternalServerErrorBody,
  ValidationError,
  ValidationErrorBody
} from "@scribe/client/ApiErrors"
import { Cause, Effect, Option, Schema } from "effect"

type Issue = HttpApiDecodeError["issues"][number]

const samePath = (a: ReadonlyArray<PropertyKey>, b: ReadonlyArray<PropertyKey>) =>
  a.length === b.length && a.every((key, i) => key === b[i])

/** Our schema messages are pydantic's; this recovers pydantic's error `type` from them. */
const typeByMessage: ReadonlyArray<readonly [RegExp, string]> = [
  [/^String should have at least/, "string_too_short"],
  [/^String should have at most/, "string_too_long"],
  [/^Value error/, "value_error"],
  [/^Input should be a valid integer/, "int_parsing"],
  [/^Input should be a valid boolean/, "bool_parsing"],
  [/^Input should be greater than or equal/, "greater_than_equal"],
  [/^Input should be less than or equal/, "less_than_equal"],
  [/^Expected string/, "string_type"],
  [/^Expected boolean/, "bool_type"],
  [/^Expected number/, "float_type"],
  [/^Expected ReadonlyArray/, "list_type"],
  [/^Expected \{/, "model_attributes_type"],
  [/^Unable to decode .* into a number/, "int_parsing"]
]

const friendly: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Expected string/, "Input should be a valid string"],
  [/^Expected boolean/, "Input should be a valid boolean"],
  [/^Expected number/, "Input should be a valid number"],
  [/^Expected ReadonlyArray/, "Input should be a valid list"],
  [/^Expected \{/, "Input should be a valid dictionary or object to extract fields from"],
  [/^Unable to decode .* into a number/, "Input should be a valid integer, unable to parse string as an integer"]
]

/** One FastAPI `detail` entry per violated field. */
export const fieldErrors = (location: "body" | "query" | "path", issues: ReadonlyArray<Issue>): Array<FieldError> =>
  issues
    .filter((issue, i) => issues.findIndex((other) => samePath(other.path, issue.path)) === i)
    .map((issue) => {
      const loc = [location, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))]
      if (issue._tag === "Missing") return new FieldError({ loc, msg: "Field required", type: "missing" })
      if (issue._tag === "Unexpected")
        return new FieldError({ loc, msg: "Extra inputs are not permitted", type: "extra_forbidden" })
      const type = typeByMessage.find(([p]) => p.test(issue.message))?.[1] ?? "value_error"
      const msg = friendly.find(([p]) => p.test(issue.message))?.[1] ?? issue.message
      return new FieldError({ loc, msg, type })
    })

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

const encodeValidation = Schema.encode(ValidationErrorBody)
const encodeInternal = Schema.encode(InternalServerErrorBody)

const respond = <A>(encode: (a: A) => Effect.Effect<unknown, unknown>, error: A, status: number) =>
  encode(error).pipe(
    Effect.flatMap((body) => HttpServerResponse.json(body, { status })),
    Effect.orDie
  )

/**
 * Answers unknown routes with 404 `{"detail":"Not Found"}` and request decoding failures as FastAPI does (422 with one `detail` entry per field, located in `body` or
 * `query`; malformed JSON is `json_invalid`) and turns any defect into a bare 500 whose cause only reaches the log.
 * Path parameters are plain strings in the contract and are validated by the use-cases (400 with a sentence).
 */
export const RequestErrorsLive = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) =>
    Effect.gen(function* () {
      const failure = Cause.failureOption<unknown>(cause)
      if (Option.isSome(failure) && isDecodeError(failure.value)) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const location = request.method === "GET" || request.method === "DELETE" ? "query" : "body"
        const detail = fieldErrors(location, failure.value.issues)
        return yield* respond(encodeValidation, new ValidationError({ detail }), 422)
      }
      if (Option.isSome(failure) && isRouteNotFound(failure.value)) {
        return yield* HttpServerResponse.json({ detail: "Not Found" }, { status: 404 }).pipe(Effect.orDie)
      }
      const defect = Cause.dieOption(cause)
      if (Option.isSome(defect) && isRequestBodyError(defect.value)) {
        const detail = [new FieldError({ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" })]
        return yield* respond(encodeValidation, new ValidationError({ detail }), 422)
      }
      if (Option.isSome(defect)) {
        yield* Effect.logError("unexpected failure", cause)
        return yield* respond(encodeInternal, new InternalServerError(), 500)
      }
      return yield* Effect.failCause(cause)
    })
  )
)
