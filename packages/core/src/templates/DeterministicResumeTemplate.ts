import { Effect, Layer } from "effect"
import type { ResumeText } from "./PdfText"
import { templateViolation } from "./ResumeTemplateRules"
import { TemplateGenerationFailed } from "./TemplateRecord"
import { TemplateWriter } from "./TemplateWriter"

/** The résumé sections the builder draws on, by the headings that introduce them. */
type Section = "education" | "research" | "experience" | "publications" | "projects" | "skills" | "awards"

const headings: ReadonlyArray<readonly [RegExp, Section | null]> = [
  [/^(education|academic background|education and training)$/, "education"],
  [/^(research( experience| interests)?|research and projects)$/, "research"],
  [/^((work |professional |relevant )?experience|employment|internships?)$/, "experience"],
  [/^(publications?|papers|selected publications)$/, "publications"],
  [/^((selected |academic |research )?projects)$/, "projects"],
  [/^((technical )?skills|skills and interests|languages and tools)$/, "skills"],
  [/^(awards|honou?rs|awards and honou?rs|scholarships)$/, "awards"],
  // Recognised so their lines are not read as part of the section before them.
  [
    /^(summary|objective|profile|about me|teaching|leadership|activities|volunteering|references|contact|interests|certifications)$/,
    null
  ]
]

const headingOf = (line: string): Section | null | undefined => {
  const key = line
    .toLowerCase()
    .replace(/[:\s]+$/, "")
    .replace(/\s+/g, " ")
    .trim()
  if (key.length > 40) return undefined
  return headings.find(([pattern]) => pattern.test(key))?.[1]
}

/** Résumé text is untrusted: nothing from it may become a placeholder or an unbounded run of text. */
const clean = (line: string, max = 200): string => {
  const text = line
    .replace(/[{}]/g, "")
    .replace(/^[\s•·▪◦‣*–—-]+/, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.;,:]+$/, "")
  return text.length <= max ? text : `${text.slice(0, max).replace(/\s+\S*$/, "")}…`
}

const looksLikeName = (line: string) =>
  line.length <= 60 && !/[@\d/:|]/.test(line) && /^\p{Lu}[\p{L}'’.-]*(\s+\p{Lu}[\p{L}'’.-]*){1,4}$/u.test(line)

export interface ResumeOutline {
  readonly name: string | null
  readonly sections: Readonly<Partial<Record<Section, ReadonlyArray<string>>>>
}

/** The student's name (the first line that reads as a name) and the lines under each recognised heading. */
export const outline = (resume: ResumeText): ResumeOutline => {
  const lines = resume.pages.flatMap((page) => page.split("\n")).map((l) => l.trim())
  const nonEmpty = lines.filter((l) => l.length > 0)
  const name = nonEmpty.slice(0, 5).find(looksLikeName) ?? null
  const sections: Partial<Record<Section, Array<string>>> = {}
  let current: Section | null = null
  for (const line of nonEmpty) {
    const heading = headingOf(line)
    if (heading !== undefined) {
      current = heading
      continue
    }
    if (current === null) continue
    const text = clean(line)
    if (text.length > 0) sections[current] = [...(sections[current] ?? []), text]
  }
  return { name: name === null ? null : clean(name, 60), sections }
}

const first = (o: ResumeOutline, section: Section, n: number) => (o.sections[section] ?? []).slice(0, n)

const sentenceList = (items: ReadonlyArray<string>) =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join("; ")}; and ${items.at(-1)}`

/**
 * A template built from the résumé's sections, without a language model: a greeting with `{{name}}`, the student's
 * education, a line on `{{research}}`, their research or experience, projects or publications and skills as the
 * résumé states them, and a signature with their name. The student's instructions are not applied.
 */
export const build = (resume: ResumeText): string => {
  const o = outline(resume)
  const education = first(o, "education", 1)[0]
  const background = [...first(o, "research", 2), ...first(o, "experience", 2)].slice(0, 3)
  const work = [...first(o, "publications", 1), ...first(o, "projects", 2)].slice(0, 2)
  const skills = first(o, "skills", 1)[0]
  const introduction = o.name !== null ? `My name is ${o.name}` : "I am a student"
  const paragraphs = [
    "Dear {{name}},",
    `${introduction}${education !== undefined ? ` (${education})` : ""}, and I am writing because of your work on {{research}}.`,
    ...(background.length > 0 ? [`My background includes ${sentenceList(background)}.`] : []),
    ...(work.length > 0 ? [`Among my work: ${sentenceList(work)}.`] : []),
    ...(skills !== undefined ? [`I work with ${skills}.`] : []),
    "I would be glad to learn more about your research and whether there might be an opportunity to contribute to it. Would you have time for a short conversation?",
    `Best regards,\n${o.name ?? ""}`.trim()
  ]
  return paragraphs.join("\n\n")
}

/** The `TemplateWriter` with no language model: `build`, labelled `deterministic`. */
export const layer = Layer.succeed(
  TemplateWriter,
  TemplateWriter.of({
    write: ({ resume }) =>
      Effect.suspend(() => {
        const text = build(resume)
        const violation = templateViolation(text)
        return violation === null
          ? Effect.succeed({ text, generator: "deterministic" as const })
          : Effect.fail(new TemplateGenerationFailed({ reason: `the résumé gave no usable template: ${violation}` }))
      }).pipe(Effect.withSpan("DeterministicResumeTemplate.write"))
  })
)
