import { Schema } from "effect"

export const TemplateType = Schema.Literal("research", "book", "general")
export type TemplateType = typeof TemplateType.Type

const placeholderPattern = /\{\{\s*([^{}]+?)\s*\}\}/g

/** The distinct placeholder names of a template, in order of first appearance (`{{ name }}` → `name`). */
export const placeholders = (template: string): ReadonlyArray<string> => [
  ...new Set(Array.from(template.matchAll(placeholderPattern), (m) => m[1] ?? ""))
]

export const hasPlaceholder = (template: string): boolean => placeholders(template).length > 0

/** Text that a database can store: no NUL characters. */
const storable = <S extends Schema.Schema<string, string>>(self: S) =>
  self.pipe(
    Schema.filter((s) => !s.includes("\u0000"), {
      message: () => "Value error, String must not contain NUL characters"
    })
  )

/** A student's email template: 10–5000 characters with at least one `{{…}}` placeholder. */
export const EmailTemplate = Schema.String.pipe(
  Schema.minLength(10, { message: () => "String should have at least 10 characters" }),
  Schema.maxLength(5000, { message: () => "String should have at most 5000 characters" }),
  storable,
  Schema.filter(hasPlaceholder, {
    message: () => "Value error, Template must contain at least one placeholder like {{name}}"
  }),
  Schema.annotations({ identifier: "EmailTemplate" })
)

export const RecipientName = Schema.String.pipe(
  Schema.minLength(2, { message: () => "String should have at least 2 characters" }),
  Schema.maxLength(255, { message: () => "String should have at most 255 characters" }),
  storable
)

export const RecipientInterest = Schema.String.pipe(
  Schema.minLength(2, { message: () => "String should have at least 2 characters" }),
  Schema.maxLength(500, { message: () => "String should have at most 500 characters" }),
  storable
)

/** One person to write to. */
export class Recipient extends Schema.Class<Recipient>("Recipient")({
  name: RecipientName,
  interest: RecipientInterest
}) {}
