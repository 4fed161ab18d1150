/** Fills a template without a language model, from the evidence alone. Its emails are never confident. */
import type { Evidence } from "./Evidence"
import { fillInMarker } from "./Grounding"
import { firstName, lastName, stripTitles } from "./Names"
import type { PlaceholderNeed, TemplateAnalysis } from "./TemplateAnalysis"

export const label =
  "Written without a language model: placeholders were filled mechanically from search results and verified papers; what nothing was found for is marked [[fill in: …]]. Review before sending."

export interface FillInput {
  readonly recipientName: string
  readonly interest: string
  readonly analysis: TemplateAnalysis
  readonly evidence: Evidence
}

const institution =
  /\b(?:University of(?: [A-Z][\p{L}'-]+)+|(?:[A-Z][\p{L}'-]+ )+(?:University|Institute of Technology|Institute|College))\b/u

const bookTitle = /\bbook\b[^"“]{0,60}["“]([^"”]{3,150})["”]|["“]([^"”]{3,150})["”][^.]{0,60}\bbook\b/i

const bracketed = (name: string) => `[${name.replace(/[_-]+/g, " ").trim()}]`

const honorific = (raw: string) => {
  const m = raw.trim().match(/^(dr|prof|professor|mr|mrs|ms|mx)\b\.?/i)
  if (m === null) return "Dr."
  const word = (m[1] ?? "").toLowerCase()
  return word === "professor" ? "Professor" : `${word[0]?.toUpperCase() ?? ""}${word.slice(1)}.`
}

/** The text for one placeholder. */
export const fillValue = (need: PlaceholderNeed, input: FillInput): string => {
  const key = need.name.toLowerCase().replace(/[^a-z]+/g, "_")
  const top = input.evidence.papers[0]
  const statements = input.evidence.facts.map((f) => f.statement)
  switch (need.kind) {
    case "recipient_name":
      if (/first_?name|given/.test(key)) return firstName(input.recipientName)
      if (/last_?name|surname|family/.test(key)) return lastName(input.recipientName)
      if (/^(title|honorific|salutation)$/.test(key)) return honorific(input.recipientName)
      return stripTitles(input.recipientName)
    // With no evidence, the placeholder's need is never written as if it were the thing itself ("I read your paper
    // deep learning"): a visible marker is left for the sender, and a check flags the email.
    case "publication":
      return top === undefined ? fillInMarker("paper title") : `"${top.title}"`
    case "book": {
      for (const s of statements) {
        const m = s.match(bookTitle)
        const title = m?.[1] ?? m?.[2]
        if (title !== undefined) return `"${title}"`
      }
      return fillInMarker("book title")
    }
    case "interest":
      return input.interest
    case "affiliation":
      for (const s of statements) {
        const m = s.match(institution)
        if (m !== null) return m[0]
      }
      return "your institution"
    case "fact":
      return top === undefined ? `your work on ${input.interest}` : `your paper "${top.title}"`
    case "sender":
    case "other":
      return bracketed(need.name)
  }
}

/** Replaces every placeholder; a quoted placeholder (`"{{paper}}"`) is not quoted twice, nor a marker quoted. */
export const fill = (template: string, input: FillInput): string => {
  const needs = new Map(input.analysis.placeholders.map((p) => [p.name, p]))
  return template.replace(/(["“]?)\{\{\s*([^{}]+?)\s*\}\}/g, (_, quote: string, name: string) => {
    const need = needs.get(name) ?? { name, kind: "other" as const, needs: "" }
    const value = fillValue(need, input)
    if (quote !== "" && value.startsWith("[[")) return `${quote}${value}`
    return quote !== "" && value.startsWith('"') ? `${quote}${value.slice(1, -1)}` : `${quote}${value}`
  })
}
