import { describe, expect, it } from "@effect/vitest"
import {
  allPassed,
  arxivMentions,
  checkEmail,
  fillInMarker,
  fillInMarkers,
  type GroundingContext,
  hostAllowed,
  isTitleLike,
  linkMentions,
  sanitise,
  titleMentions
} from "@scribe/core/pipeline/Grounding"
import { Paper } from "@scribe/core/upstream/Paper"

const paper = new Paper({
  id: "2301.00001v2",
  title: "Message Passing on Sparse Graphs: A Study",
  authors: ["Ada Lovelace"],
  summary: "",
  published: new Date("2023-01-01"),
  url: "https://arxiv.org/abs/2301.00001v2"
})

const ctx: GroundingContext = {
  evidence: {
    papers: [paper],
    facts: [
      { statement: 'She wrote the book "Notes on the Analytical Engine".', sourceUrl: "https://cs.uni.example/~ada" },
      { statement: "Contact: ada@uni.example", sourceUrl: "https://cs.uni.example/~ada" }
    ]
  },
  template:
    "Dear {{name}}, I read {{paper}}. My portfolio: https://me.student.example/work — reach me at me@student.example.",
  recipientName: "Prof. Ada Lovelace",
  interest: "graph neural networks",
  minLength: 50,
  maxLength: 5000
}

const body = (middle: string) =>
  `Dear Ada Lovelace,\n\n${middle}\n\nMy portfolio: https://me.student.example/work — reach me at me@student.example.`

const failed = (email: string) =>
  checkEmail(email, ctx)
    .filter((r) => !r.passed)
    .map((r) => r.check)

describe("title detection", () => {
  it("treats quoted title-like text as a title", () => {
    expect(isTitleLike("Message Passing on Sparse Graphs")).toBe(true)
    expect(isTitleLike("Graphs: a study")).toBe(true)
    expect(isTitleLike("a quite long lower case phrase")).toBe(true)
    expect(isTitleLike("deep learning")).toBe(false)
    expect(isTitleLike("Hello")).toBe(false)
  })

  it("finds quoted, italicised and cued titles", () => {
    const text = [
      'I read “Deep Residual Learning” and "Attention Is All You Need".',
      "Also *Graph Attention Networks*, and the paper Neural Ordinary Differential Equations for Fun.",
      "A book titled Gödel Escher Bach was great; your paper on Graph Theory too; your paper In Nature."
    ].join(" ")
    expect(titleMentions(text).map((m) => m.text)).toEqual([
      "Attention Is All You Need",
      "Deep Residual Learning",
      "Graph Attention Networks",
      "Gödel Escher Bach",
      "Neural Ordinary Differential Equations for Fun"
    ])
  })

  it("finds arXiv identifiers", () => {
    expect(
      arxivMentions("see arXiv:2301.00001v2, arxiv.org/abs/1234.56789 and arXiv 2201.12345").map((m) => m.text)
    ).toEqual(["2301.00001", "1234.56789", "2201.12345"])
  })
})

describe("grounding checks", () => {
  it("passes an email citing only verified material", () => {
    const email = body(
      'I read your paper "Message Passing on Sparse Graphs: A Study" (arXiv:2301.00001) and your book "Notes on the Analytical Engine". I could also write to ada@uni.example or visit https://cs.uni.example/~ada.'
    )
    expect(checkEmail(email, ctx).map((r) => r.problems)).toEqual([[], [], [], [], []])
    expect(allPassed(checkEmail(email, ctx))).toBe(true)
  })

  it("accepts the main title alone, case and punctuation aside", () => {
    expect(failed(body('I enjoyed "message passing on sparse graphs" a lot, really a lot.'))).toEqual([])
  })

  it("catches a fabricated title, quoted or cued, and an unknown arXiv id", () => {
    expect(failed(body('I read your paper "Quantum Graph Transformers at Scale" with interest.'))).toEqual([
      "papers_grounded"
    ])
    expect(failed(body("I read your paper Quantum Graph Transformers at Scale with interest."))).toEqual([
      "papers_grounded"
    ])
    expect(failed(body("I read arXiv:2399.99999 with great interest, it was a fine read."))).toEqual([
      "papers_grounded"
    ])
    const [, titles] = checkEmail(body('I read "Quantum Graph Transformers" with interest and joy.'), ctx)
    expect(titles?.problems).toEqual([
      '"Quantum Graph Transformers" is not one of the recipient\'s verified papers or facts'
    ])
  })

  it("catches URLs and email addresses outside the sources' domains", () => {
    expect(failed(body("Join at https://evil.example/join today, it is a great opportunity."))).toEqual([
      "links_grounded"
    ])
    expect(failed(body("Write to recruiter@evil.example for details, it is a great opportunity."))).toEqual([
      "links_grounded"
    ])
    expect(failed(body("Visit evil.example/join for details, it is a great opportunity to learn."))).toEqual([
      "links_grounded"
    ])
    expect(failed(body("Visit www.evil.example for details, it is a great opportunity to learn."))).toEqual([
      "links_grounded"
    ])
  })

  it("accepts links in the sources' domains and those the sender wrote into the template", () => {
    expect(
      failed(body("Your lab page https://www.uni.example/lab and ada@cs.uni.example were helpful to me."))
    ).toEqual([])
  })

  it("catches leftover placeholders and insane lengths", () => {
    expect(failed(body("I read {{paper}} with great interest and would like to talk about it."))).toEqual([
      "no_placeholders"
    ])
    expect(failed("Dear Ada, hi.")).toEqual(["length"])
    expect(failed(body("x".repeat(5001)))).toEqual(["length"])
  })

  it("flags what is left to fill in, saying what it is", () => {
    const email = body(`I read your paper ${fillInMarker("paper title")} and would love to discuss it with you.`)
    expect(failed(email)).toEqual(["nothing_to_fill_in"])
    expect(checkEmail(email, ctx).at(-1)?.problems).toEqual([
      "the paper title is left to fill in: nothing found could go there"
    ])
    expect(fillInMarkers(`${fillInMarker("paper title")} / ${fillInMarker("book title")}`)).toEqual([
      "paper title",
      "book title"
    ])
  })
})

describe("host matching", () => {
  const allowed = new Set(["cs.uni.example"])
  it("allows the same host, its subdomains and its parent domain, never a bare suffix", () => {
    expect(hostAllowed("cs.uni.example", allowed)).toBe(true)
    expect(hostAllowed("lab.cs.uni.example", allowed)).toBe(true)
    expect(hostAllowed("uni.example", allowed)).toBe(true)
    expect(hostAllowed("example", allowed)).toBe(false)
    expect(hostAllowed("evil.example", allowed)).toBe(false)
    expect(hostAllowed("notuni.example", allowed)).toBe(false)
  })

  it("reads hosts of URLs, bare domains and addresses, trailing punctuation aside", () => {
    expect(
      linkMentions("Go to https://a.example/x. Or b.example, or c@d.example.").map((l) => [l.kind, l.host])
    ).toEqual([
      ["url", "a.example"],
      ["url", "b.example"],
      ["email", "d.example"]
    ])
  })
})

describe("sanitise", () => {
  const fill = (name: string) => `[${name}]`

  it("drops sentences with fabricated titles or foreign links and fills leftover placeholders", () => {
    const email = body(
      'I read "Quantum Graph Transformers at Scale" by Dr. Lovelace. It was great, {{name}}. P.S. Join https://evil.example/x now.'
    )
    const clean = sanitise(email, ctx, fill)
    expect(clean).not.toContain("Quantum")
    expect(clean).not.toContain("evil")
    expect(clean).toContain("It was great, [name].")
    expect(failed(clean)).toEqual([])
  })
})
