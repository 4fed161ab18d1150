import { BatchItem, GenerateEmailRequest } from "@scribe/client/Wire"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** The server's own rules (the contract's schemas): what it would answer with a 422, checked as you type. */

const problems = <A, I>(schema: Schema.Schema<A, I>, value: unknown): ReadonlyArray<string> => {
  const result = Schema.decodeUnknownEither(schema, { errors: "all" })(value)
  return Either.isRight(result) ? [] : ParseResult.ArrayFormatter.formatErrorSync(result.left).map((i) => i.message)
}

export const templateProblems = (template: string): ReadonlyArray<string> =>
  problems(GenerateEmailRequest.fields.email_template, template)

export const nameProblems = (name: string): ReadonlyArray<string> => problems(BatchItem.fields.recipient_name, name)

export const interestProblems = (interest: string): ReadonlyArray<string> =>
  problems(BatchItem.fields.recipient_interest, interest)

/** The limits the schemas enforce, for counters and hints. */
export const limits = { templateMin: 10, templateMax: 5000, nameMax: 255, interestMax: 500, batchMax: 100 } as const

const placeholderPattern = /\{\{\s*([^{}]+?)\s*\}\}/g

/** The template cut into text and `{{placeholder}}` pieces, for highlighting (the scan the server does). */
export const segments = (
  template: string
): ReadonlyArray<{ readonly text: string; readonly placeholder: string | null }> => {
  const out: Array<{ text: string; placeholder: string | null }> = []
  let last = 0
  for (const m of template.matchAll(placeholderPattern)) {
    const at = m.index ?? 0
    if (at > last) out.push({ text: template.slice(last, at), placeholder: null })
    out.push({ text: m[0], placeholder: m[1] ?? "" })
    last = at + m[0].length
  }
  if (last < template.length) out.push({ text: template.slice(last), placeholder: null })
  return out
}

export const placeholderNames = (template: string): ReadonlyArray<string> => [
  ...new Set(segments(template).flatMap((s) => (s.placeholder === null ? [] : [s.placeholder])))
]
