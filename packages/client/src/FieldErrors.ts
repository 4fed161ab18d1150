import type * as ParseResult from "effect/ParseResult"
import { FieldError } from "./ApiErrors"

/** Where a violated field sits in the request, as FastAPI's `loc` starts. */
export type FieldLocation = "body" | "query" | "path" | "header"

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

/**
 * One FastAPI `detail` entry per violated field, from schema issues. The client uses it to report a request it refuses
 * to send exactly as the server would have answered it (422); the same mapping serves the server's error layer.
 */
export const fieldErrors = (
  location: FieldLocation,
  issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>
): Array<FieldError> =>
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
