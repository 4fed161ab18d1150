import { describe, expect, it } from "@effect/vitest"
import { AuthUser } from "@scribe/core/auth/AuthUser"
import type { UserId } from "@scribe/core/Ids"
import * as DeterministicResumeTemplate from "@scribe/core/templates/DeterministicResumeTemplate"
import { PdfFetcher } from "@scribe/core/templates/PdfFetcher"
import { PdfText, ResumeText } from "@scribe/core/templates/PdfText"
import { templateViolation } from "@scribe/core/templates/ResumeTemplateRules"
import * as TemplateLimit from "@scribe/core/templates/TemplateLimit"
import { TemplateStore } from "@scribe/core/templates/TemplateStore"
import * as Templates from "@scribe/core/templates/TemplateUseCases"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Ref } from "effect"

const resume = new ResumeText({
  pages: [
    [
      "Sam Rivera",
      "sam@uni.edu | github.com/sam",
      "EDUCATION",
      "B.Sc. Computer Science, University of Example",
      "Research Experience:",
      "• Graph Algorithms Lab — dynamic shortest paths",
      "Skills",
      "Python, {{evil}} C++"
    ].join("\n"),
    ["Projects", "- Parallel Dijkstra in Rust", "References", "Available on request"].join("\n")
  ]
})

describe("résumé template rules", () => {
  it("accept a template with {{name}} and {{research}} only; say why otherwise", () => {
    expect(templateViolation("Dear {{name}}, your work on {{research}} is great. Sam")).toBeNull()
    expect(templateViolation("Dear {{ name }}, your work on {{research}} is great. Sam")).toBeNull()
    expect(templateViolation("Dear {{name}}, hello. Best, Sam")).toBe("it lacks {{research}}")
    expect(templateViolation("Dear prof, hello there. Best, Sam")).toBe(
      "it is not a valid email template (Template must contain at least one placeholder like {{name}})"
    )
    expect(templateViolation("Dear {{name}}, on {{research}} and {{university}}.")).toBe(
      "it uses placeholders other than {{name}} and {{research}}: {{university}}"
    )
    expect(templateViolation("Dear {{name}}, on {{research}}. Best, [Your Name]")).toBe(
      "it leaves a fill-in for the student to complete: [Your Name]"
    )
    expect(templateViolation(`Dear {{name}}, {{research}} ${"x".repeat(5000)}`)).toMatch(/at most 5000/)
  })
})

describe("the deterministic résumé template", () => {
  it("reads the name and the sections under their headings", () => {
    const outline = DeterministicResumeTemplate.outline(resume)
    expect(outline.name).toBe("Sam Rivera")
    expect(outline.sections).toEqual({
      education: ["B.Sc. Computer Science, University of Example"],
      research: ["Graph Algorithms Lab — dynamic shortest paths"],
      skills: ["Python, evil C++"],
      projects: ["Parallel Dijkstra in Rust"]
    })
  })

  it("builds a template that passes the rules, from the résumé's facts only; braces in the résumé stay text", () => {
    const text = DeterministicResumeTemplate.build(resume)
    expect(templateViolation(text)).toBeNull()
    expect(text).toBe(
      [
        "Dear {{name}},",
        "My name is Sam Rivera (B.Sc. Computer Science, University of Example), and I am writing because of your work on {{research}}.",
        "My background includes Graph Algorithms Lab — dynamic shortest paths.",
        "Among my work: Parallel Dijkstra in Rust.",
        "I work with Python, evil C++.",
        "I would be glad to learn more about your research and whether there might be an opportunity to contribute to it. Would you have time for a short conversation?",
        "Best regards,\nSam Rivera"
      ].join("\n\n")
    )
    // a résumé with no recognisable section still gives a valid template
    expect(
      templateViolation(DeterministicResumeTemplate.build(new ResumeText({ pages: ["just some words"] })))
    ).toBeNull()
  })
})

describe("Templates.create", () => {
  const alice = new AuthUser({ id: "alice" as UserId, email: "alice@uni.edu" })

  /** Counts fetches and extractions, so a refused request can be shown to do no work. */
  const counting = Effect.gen(function* () {
    const calls = yield* Ref.make(0)
    const fetcher = Layer.succeed(PdfFetcher, {
      fetchPdf: () =>
        Effect.as(
          Ref.update(calls, (n) => n + 1),
          new TextEncoder().encode("%PDF-1.7")
        )
    })
    const reader = Layer.succeed(PdfText, { extract: () => Effect.succeed(resume) })
    return {
      calls,
      services: Layer.mergeAll(fetcher, reader, DeterministicResumeTemplate.layer, TemplateLimit.layer(2))
    }
  })

  it.effect("stores the template; at the limit it refuses before fetching anything", () =>
    Effect.gen(function* () {
      const { calls, services } = yield* counting
      const program = Effect.gen(function* () {
        const created = yield* Templates.create(
          alice,
          { _tag: "Url", url: "https://cv.example/a.pdf" },
          "Be brief, please"
        )
        expect(created).toMatchObject({
          userId: "alice",
          pdfUrl: "https://cv.example/a.pdf",
          generator: "deterministic"
        })
        yield* Templates.create(
          alice,
          { _tag: "Upload", pdf: new TextEncoder().encode("%PDF-1.7") },
          "Be brief, please"
        )
        const refused = yield* Effect.flip(
          Templates.create(alice, { _tag: "Url", url: "https://cv.example/a.pdf" }, "Be brief, please")
        )
        expect(refused).toMatchObject({ _tag: "TemplateLimitReached", max: 2 })
        expect(yield* Ref.get(calls)).toBe(1)
        const store = yield* TemplateStore
        expect(yield* store.count(alice.id)).toBe(2)
      })
      yield* program.pipe(
        Effect.provide(services),
        Effect.provide(AccountsMemory.layerOver.pipe(Layer.provide(RepoMemory.layer)))
      )
    })
  )
})
