import type * as ParseResult from "effect/ParseResult"
import { FieldError } from "./ApiErrors"

/** Where a violated field sits in the request, as FastAPI's `loc` starts. */
export type FieldLocation = "body" | "query" | "path" | "header"

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

const wholeBodyMessage = "Input should be a valid dictionary or object to extract fields from"

const friendly: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Expected string/, "Input should be a valid string"],
  [/^Expected boolean/, "Input should be a valid boolean"],
  [/^Expected number/, "Input should be a valid number"],
  [/^Expected ReadonlyArray/, "Input should be a valid list"],
  [/^Expected \{/, wholeBodyMessage],
  [/^Unable to decode .* into a number/, "Input should be a valid integer, unable to parse string as an integer"]
]

/** At most this many entries are reported: a batch of 100 items with every field wrong has about 200. */
export const maxFieldErrors = 250

/** A message quotes at most this many characters of the input it refuses. */
const excerptLength = 40
const maxMessageLength = 300

/** The first `length` code points of `text` (a longer text has more than `2 × length` UTF-16 units, or more points). */
const excerpt = (text: string, length: number) => {
  const head = Array.from(text.slice(0, 2 * length))
  return head.length <= length && text.length <= 2 * length ? text : `${head.slice(0, length).join("")}…`
}

/** A schema message, with the input it quotes (`…, actual <input>`) cut to a short excerpt. */
const shorten = (message: string) => {
  const at = message.indexOf(", actual ")
  const quoted = at < 0 ? message : `${message.slice(0, at + 9)}${excerpt(message.slice(at + 9), excerptLength)}`
  return excerpt(quoted, maxMessageLength)
}

const pathKey = (path: ReadonlyArray<PropertyKey>) => JSON.stringify(path.map((p) => String(p)))

/**
 * One FastAPI `detail` entry per violated field, from schema issues (at most `maxFieldErrors`; a message never quotes
 * more than a short excerpt of the input). The client uses it to report a request it refuses to send exactly as the
 * server would have answered it (422); the same mapping serves the server's error layer.
 */
export const fieldErrors = (
  location: FieldLocation,
  issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>
): Array<FieldError> => {
  const seen = new Set<string>()
  const errors: Array<FieldError> = []
  for (const issue of issues) {
    if (errors.length >= maxFieldErrors) break
    const key = pathKey(issue.path)
    if (seen.has(key)) continue
    seen.add(key)
    const loc = [location, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))]
    if (issue._tag === "Missing") {
      errors.push(new FieldError({ loc, msg: "Field required", type: "missing" }))
    } else if (issue._tag === "Unexpected") {
      errors.push(new FieldError({ loc, msg: "Extra inputs are not permitted", type: "extra_forbidden" }))
    } else if (location === "body" && issue.path.length === 0 && issue._tag === "Type") {
      // The body itself is not an object (a string, a list, null).
      errors.push(new FieldError({ loc, msg: wholeBodyMessage, type: "model_attributes_type" }))
    } else {
      const type = typeByMessage.find(([p]) => p.test(issue.message))?.[1] ?? "value_error"
      const msg = friendly.find(([p]) => p.test(issue.message))?.[1] ?? shorten(issue.message)
      errors.push(new FieldError({ loc, msg, type }))
    }
  }
  return errors
}
