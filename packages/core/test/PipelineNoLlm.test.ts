import { describe, expect, it } from "@effect/vitest"
import type { GeneratedEmail } from "@scribe/core/jobs/Generator"
import * as DeterministicComposer from "@scribe/core/pipeline/DeterministicComposer"
import type { GenerationMetadata } from "@scribe/core/pipeline/GenerationMetadata"
import { analyseHeuristically } from "@scribe/core/pipeline/TemplateAnalysis"
import { placeholders } from "@scribe/core/templates/Template"
import { Paper } from "@scribe/core/upstream/Paper"
import { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Effect } from "effect"
import { job, papers, recorder, setupNoLlm, world } from "./PipelineFixtures"

const meta = (email: GeneratedEmail) => JSON.parse(JSON.stringify(email.metadata)) as GenerationMetadata

describe("DeterministicComposer.fill", () => {
  const template =
    'Dear {{title}} {{last_name}} ({{first_name}}), I read "{{paper}}" and {{paper}}. At {{university}}, on {{field}}: {{my_name}} / {{award}}.'
  const evidence = {
    papers: [papers.sparse],
    facts: [{ statement: "Ada Lovelace is a Professor at the University of Example.", sourceUrl: "https://u.example" }]
  }

  it("fills each placeholder from the evidence, quoting titles once", () => {
    const filled = DeterministicComposer.fill(template, {
      recipientName: "Prof. Ada Lovelace",
      interest: "graph neural networks",
      analysis: analyseHeuristically(template),
      evidence
    })
    expect(filled).toBe(
      'Dear Prof. Lovelace (Ada), I read "Message Passing on Sparse Graphs" and "Message Passing on Sparse Graphs". At University of Example, on graph neural networks: [my name] / your paper "Message Passing on Sparse Graphs".'
    )
  })

  it("where nothing was found, leaves a visible marker, never the placeholder's need as its value", () => {
    const filled = DeterministicComposer.fill(template, {
      recipientName: "Ada Lovelace",
      interest: "graph neural networks",
      analysis: analyseHeuristically(template),
      evidence: { papers: [], facts: [] }
    })
    expect(filled).toBe(
      'Dear Dr. Lovelace (Ada), I read "[[fill in: paper title]]" and [[fill in: paper title]]. At your institution, on graph neural networks: [my name] / your work on graph neural networks.'
    )
    const offline = "Dear {{name}}, I read your paper {{paper_title}} and would love to discuss {{research_interest}}."
    expect(
      DeterministicComposer.fill(offline, {
        recipientName: "Prof. Ada Lovelace",
        interest: "deep learning",
        analysis: analyseHeuristically(offline),
        evidence: { papers: [], facts: [] }
      })
    ).toBe("Dear Ada Lovelace, I read your paper [[fill in: paper title]] and would love to discuss deep learning.")
  })
})

describe("Pipeline without a language model", () => {
  it.scoped("fills every placeholder from verified papers and facts, and is never confident", () =>
    Effect.gen(function* () {
      const { generator } = yield* setupNoLlm()
      const { progress, events } = yield* recorder
      const email = yield* generator.generate(job(), progress)
      const m = meta(email)
      expect(placeholders(email.emailMessage)).toEqual([])
      expect(email.emailMessage).toContain("Dear Ada Lovelace,")
      expect(email.emailMessage).toContain(`"${papers.molecules.title}"`)
      expect(email.emailMessage).toContain("University of Example")
      expect(email.emailMessage).not.toContain("evil.example")
      expect(email.isConfident).toBe(false)
      expect(m.composer).toBe("deterministic")
      expect(m.composer_label).toBe(DeterministicComposer.label)
      expect(m.models).toEqual({})
      expect(m.token_usage.totals.total_tokens).toBe(0)
      expect(m.checks.passed).toBe(true)
      expect(m.papers_used.map((p) => p.arxiv_id)).not.toContain(papers.homonym.id)
      expect(m.confidence).toEqual({ is_confident: false, reason: "written without a language model" })
      expect(Object.keys(email.stepTimings).sort()).toEqual([
        "arxiv_helper",
        "email_composer",
        "template_parser",
        "web_scraper"
      ])
      expect((yield* events).filter((e) => e.stepStatus === "completed")).toHaveLength(4)
    })
  )

  it.scoped("still writes an email when every research upstream fails", () =>
    Effect.gen(function* () {
      const down = (service: UpstreamError["service"]) =>
        new UpstreamError({ service, kind: "unavailable", message: "down", retryAfterMs: null })
      const { generator } = yield* setupNoLlm({ failures: { search: down("search"), arxiv: down("arxiv") } })
      const email = yield* generator.generate(job({ recipientInterest: "analytical engines" }), () => Effect.void)
      const m = meta(email)
      // No paper was found: the placeholder is left visibly to fill in, not filled with its need or the interest.
      expect(email.emailMessage).toContain("your paper [[fill in: paper title]]")
      expect(email.emailMessage).not.toContain("your paper analytical engines")
      expect(email.emailMessage).toContain("your institution")
      expect(email.isConfident).toBe(false)
      expect(m.checks).toMatchObject({ passed: false, sanitised: false, failed: ["nothing_to_fill_in"] })
      expect(m.confidence.reason).toBe(
        "written without a language model; the email leaves the paper title to fill in: nothing found could go there"
      )
      // Warnings in plain words: which upstream, what went wrong; not the upstream's own message ("down").
      expect(m.warnings).toHaveLength(3)
      expect(m.warnings).toContain("arXiv was unavailable")
      for (const warning of m.warnings) expect(warning).not.toMatch(/\bdown\b/)
    })
  )

  it.scoped("cites only the recipient's own papers, never a homonym's", () =>
    Effect.gen(function* () {
      const onlyHomonym = new Paper({ ...papers.homonym })
      const { generator } = yield* setupNoLlm({ ...world, papers: [onlyHomonym] })
      const email = yield* generator.generate(job(), () => Effect.void)
      expect(email.emailMessage).not.toContain(papers.homonym.title)
      expect(meta(email).papers_used).toEqual([])
    })
  )
})
