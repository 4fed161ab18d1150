import { Schema } from "effect"

export const TemplateType = Schema.Literal("research", "book", "general")
export type TemplateType = typeof TemplateType.Type

const placeholderPattern = /\{\{\s*([^{}]+?)\s*\}\}/g

/**
 * The distinct placeholder names of a template, in order of first appearance (`{{ name }}` → `name`). A pair of braces
 * with nothing but blanks inside (`{{   }}`) names nothing and is not a placeholder.
 */
export const placeholders = (template: string): ReadonlyArray<string> => [
  ...new Set(
    Array.from(template.matchAll(placeholderPattern), (m) => (m[1] ?? "").trim()).filter((name) => name.length > 0)
  )
]

export const hasPlaceholder = (template: string): boolean => placeholders(template).length > 0

/** Characters as the messages (and the database's `char_length`) count them: Unicode code points, not UTF-16 units. */
export const codePointLength = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** `min`–`max` characters, counted in code points; the JSON Schema keywords count the same way. */
const characters =
  (min: number, max: number) =>
  <S extends Schema.Schema<string, string>>(self: S) =>
    self.pipe(
      Schema.filter((s) => codePointLength(s) >= min, {
        message: () => `String should have at least ${min} characters`,
        jsonSchema: { minLength: min }
      }),
      Schema.filter((s) => codePointLength(s) <= max, {
        message: () => `String should have at most ${max} characters`,
        jsonSchema: { maxLength: max }
      })
    )

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Text that a database can store as it was sent: no NUL characters, no unpaired UTF-16 surrogates. */
const storable = <S extends Schema.Schema<string, string>>(self: S) =>
  self.pipe(
    Schema.filter((s) => !s.includes("\u0000"), {
      message: () => "Value error, String must not contain NUL characters"
    }),
    Schema.filter((s) => !loneSurrogate.test(s), {
      message: () => "Value error, String must be valid Unicode (it contains an unpaired surrogate)"
    })
  )

/** A student's email template: 10–5000 characters with at least one `{{…}}` placeholder that names something. */
export const EmailTemplate = Schema.String.pipe(
  characters(10, 5000),
  storable,
  Schema.filter(hasPlaceholder, {
    message: () => "Value error, Template must contain at least one placeholder like {{name}}"
  }),
  Schema.annotations({
    identifier: "EmailTemplate",
    description:
      "10–5000 characters (Unicode code points) with at least one placeholder that names something, like {{name}}"
  })
)

export const RecipientName = Schema.String.pipe(
  characters(2, 255),
  storable,
  Schema.annotations({ description: "2–255 characters (Unicode code points)", jsonSchema: {} })
)

export const RecipientInterest = Schema.String.pipe(
  characters(2, 500),
  storable,
  Schema.annotations({ description: "2–500 characters (Unicode code points)", jsonSchema: {} })
)

/** One person to write to. */
export class Recipient extends Schema.Class<Recipient>("Recipient")({
  name: RecipientName,
  interest: RecipientInterest
}) {}
