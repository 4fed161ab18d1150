import { Schema } from "effect"
import { placeholders, TemplateType } from "../templates/Template"

/** What a placeholder asks for. */
export const PlaceholderKind = Schema.Literal(
  "recipient_name",
  "publication",
  "book",
  "interest",
  "affiliation",
  "fact",
  "sender",
  "other"
)
export type PlaceholderKind = typeof PlaceholderKind.Type

export const PlaceholderNeed = Schema.Struct({
  name: Schema.String,
  kind: PlaceholderKind,
  needs: Schema.String
})
export type PlaceholderNeed = typeof PlaceholderNeed.Type

/** The structured reply asked of the model for `template_parser` (schema name `template_analysis`). */
export const TemplateAnalysisReply = Schema.Struct({
  templateType: TemplateType,
  placeholders: Schema.Array(PlaceholderNeed)
})
export type TemplateAnalysisReply = typeof TemplateAnalysisReply.Type

/** A template's type and, for each placeholder found in it, what it needs. */
export interface TemplateAnalysis {
  readonly templateType: TemplateType
  readonly placeholders: ReadonlyArray<PlaceholderNeed>
  readonly source: "llm" | "heuristic"
}

const kindRules: ReadonlyArray<readonly [RegExp, PlaceholderKind, string]> = [
  [/^(my|your|sender|student|signature)(_|$)|_(of_)?(me|sender|student)$/, "sender", "the sender's own details"],
  [/first_?name|given_?name/, "recipient_name", "the recipient's first name"],
  [/last_?name|surname|family_?name/, "recipient_name", "the recipient's family name"],
  [/^(title|honorific|salutation)$/, "recipient_name", "the recipient's title"],
  [/book|novel|memoir/, "book", "a book by the recipient"],
  [/interest|topic|field|area|subject|domain|expertise|specialt/, "interest", "the recipient's research interest"],
  [
    /paper|research(?!er)|publication|work|article|stud(y|ies)|project|thesis|finding|contribution/,
    "publication",
    "a specific publication or piece of research by the recipient"
  ],
  [
    /universit|institut|school|college|department|dept|lab|affiliation|faculty|company|organi[sz]ation/,
    "affiliation",
    "the recipient's institution or department"
  ],
  [/position|role|title|award|achievement|accomplishment|fact|detail|bio/, "fact", "a fact about the recipient"],
  [/name|recipient|professor|^prof|^dr$|author|researcher|person|contact/, "recipient_name", "the recipient's name"]
]

const snake = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")

/** Guesses what a placeholder needs from its name alone. */
export const guessPlaceholder = (name: string): PlaceholderNeed => {
  const key = snake(name)
  for (const [pattern, kind, needs] of kindRules) if (pattern.test(key)) return { name, kind, needs }
  return { name, kind: "other", needs: "unknown; left for the sender" }
}

const bookCues = /\b(book|books|novel|memoir|chapter|publisher|read your)\b/gi
const researchCues =
  /\b(paper|papers|research|publication|publications|study|studies|lab|laboratory|arxiv|journal|conference|phd|graduate|thesis|experiment|findings)\b/gi

/** Type and needs from keywords, without a model (the no-LLM composer, and the fallback when the model fails). */
export const analyseHeuristically = (template: string): TemplateAnalysis => {
  const needs = placeholders(template).map(guessPlaceholder)
  const books = (template.match(bookCues) ?? []).length + needs.filter((n) => n.kind === "book").length * 2
  const research =
    (template.match(researchCues) ?? []).length + needs.filter((n) => n.kind === "publication").length * 2
  const templateType: TemplateType = books > 0 && books >= research ? "book" : research > 0 ? "research" : "general"
  return { templateType, placeholders: needs, source: "heuristic" }
}

/**
 * The model's analysis reconciled with the deterministic scan: exactly the template's placeholders, in order; a
 * placeholder the model skipped is guessed from its name, and names the model invented are dropped.
 */
export const reconcile = (template: string, reply: TemplateAnalysisReply): TemplateAnalysis => {
  const byName = new Map(reply.placeholders.map((p) => [p.name.replace(/^\{\{\s*|\s*\}\}$/g, "").trim(), p]))
  return {
    templateType: reply.templateType,
    placeholders: placeholders(template).map((name) => {
      const found = byName.get(name)
      return found === undefined ? guessPlaceholder(name) : { name, kind: found.kind, needs: found.needs }
    }),
    source: "llm"
  }
}
