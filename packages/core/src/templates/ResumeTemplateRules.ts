import { Either, ParseResult, Schema } from "effect"
import { EmailTemplate, placeholders } from "./Template"

/** The placeholders a résumé template uses: the recipient's name and research. Nothing else is filled in later. */
export const resumePlaceholders: ReadonlyArray<string> = ["name", "research"]

const fillIn =
  /\[(?:your|insert|recipient|professor|prof\b|dr\b|name|university|department|field|topic|paper|date|lab)[^\]\n]*\]/i

const decodeTemplate = Schema.decodeUnknownEither(EmailTemplate)

/**
 * Why `text` is not an acceptable résumé template, or `null`: it must be a valid email template (10–5000 characters,
 * at least one placeholder), use both `{{name}}` and `{{research}}` and no other placeholder, and leave no
 * square-bracket fill-in (`[Your Name]`) for the student to complete.
 */
export const templateViolation = (text: string): string | null => {
  const decoded = decodeTemplate(text)
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    return `it is not a valid email template (${(issue?.message ?? "invalid").replace(/^Value error, /, "")})`
  }
  const used = placeholders(text)
  const missing = resumePlaceholders.filter((p) => !used.includes(p))
  if (missing.length > 0) return `it lacks ${missing.map((p) => `{{${p}}}`).join(" and ")}`
  const others = used.filter((p) => !resumePlaceholders.includes(p))
  if (others.length > 0) {
    return `it uses placeholders other than {{name}} and {{research}}: ${others.map((p) => `{{${p}}}`).join(", ")}`
  }
  const bracket = fillIn.exec(text)?.[0]
  if (bracket !== undefined) return `it leaves a fill-in for the student to complete: ${bracket}`
  return null
}
