import { describe, expect, it } from "@effect/vitest"
import { disambiguate } from "@scribe/core/pipeline/AuthorDisambiguation"
import { institutionsIn, noClues, orcidsIn, sameInstitution, webClues } from "@scribe/core/pipeline/WebClues"
import { Paper } from "@scribe/core/upstream/Paper"
import { Page } from "@scribe/core/upstream/Scraper"
import { SearchHit } from "@scribe/core/upstream/WebSearch"
import { author } from "./AuthorFixtures"

const work = (title: string, authors: ReadonlyArray<string>, extra: Partial<Paper> = {}) =>
  new Paper({
    id: extra.id ?? `W-${title.length}-${title.slice(0, 6)}`,
    title,
    authors,
    summary: extra.summary ?? "",
    published: new Date("2024-02-01"),
    url: `https://example.org/${encodeURIComponent(title)}`,
    ...extra
  })

const engines = work("Symbolic Computation on the Analytical Engine", ["Ada Lovelace"], {
  source: "openalex",
  id: "W1"
})
const silks = work("Conserving Jacquard Silk Weavings", ["Ada Lovelace"], { source: "openalex", id: "W9" })
const testkitAda = author("openalex", "A1", "Ada Lovelace", {
  affiliations: ["University of Testkit"],
  orcid: "0000-0002-0000-0001",
  topics: ["Analytical Engines"],
  works: [engines]
})
const northfieldAda = author("openalex", "A9", "Ada Lovelace", {
  affiliations: ["Northfield Polytechnic"],
  orcid: "0000-0001-0000-0009",
  topics: ["Textile Conservation"],
  works: [silks]
})
const atTestkit = { institutions: ["University of Testkit"], orcids: [] }

const verdicts = (decision: ReturnType<typeof disambiguate>) =>
  decision.identities.map(({ identity, verdict }) => [identity.members[0]!.id, verdict])

describe("disambiguate", () => {
  it("same name at two institutions: the one the web pages name is chosen, the namesake never cited", () => {
    const decision = disambiguate("Prof. Ada Lovelace", "analytical engines", [northfieldAda, testkitAda], atTestkit)
    expect(decision.status).toBe("resolved")
    expect(decision.chosen?.members.map((m) => m.id)).toEqual(["A1"])
    expect(decision.works.map((w) => w.title)).toEqual([engines.title])
    expect(verdicts(decision)).toEqual([
      ["A9", "elsewhere"],
      ["A1", "chosen"]
    ])
    expect(decision.reason).toBe("OpenAlex lists them at University of Testkit, as the web pages do")
  })

  it("a namesake at another institution is not cited even when the sources know no one else by the name", () => {
    const decision = disambiguate("Ada Lovelace", "analytical engines", [northfieldAda], atTestkit)
    expect(decision).toMatchObject({ status: "unknown", chosen: null, works: [] })
    expect(decision.reason).toBe(
      "the only authors of this name the sources list are at other institutions: Ada Lovelace (Northfield Polytechnic)"
    )
  })

  it("an author only on OpenAlex: the only one of that name, chosen on the name", () => {
    const ines = author("openalex", "A3", "Ines Okafor", {
      affiliations: ["University of Testkit"],
      works: [work("Caravan Ledgers and the Trans-Saharan Gold Trade", ["Ines Okafor"])]
    })
    const decision = disambiguate("Prof. Ines Okafor", "medieval trade routes", [ines], noClues)
    expect(decision.status).toBe("resolved")
    expect(decision.reason).toBe("the only author of this name in OpenAlex")
    expect(decision.works).toHaveLength(1)
  })

  it("an author only on arXiv: their name-matched papers, a homonym's dropped", () => {
    const papers = [
      work("Superoptimizing Loop Nests", ["Mallory Quinn", "Frances Allen"], { source: "arxiv", id: "2402.33333v1" }),
      work("Quinn's Other Loops", ["Martin Quinn"], { source: "arxiv", id: "2402.44444v1" })
    ]
    const decision = disambiguate(
      "Mallory Quinn",
      "compiler optimization",
      [author("arxiv", "Mallory Quinn", "Mallory Quinn", { works: papers })],
      noClues
    )
    expect(decision.status).toBe("resolved")
    expect(decision.chosen?.nameOnly).toBe(true)
    expect(decision.works.map((w) => w.id)).toEqual(["2402.33333v1"])
    expect(decision.reason).toContain("arXiv lists papers under this name")
  })

  it("on OpenAlex and arXiv with different title casing: one person, one paper each, the newer preprint adopted", () => {
    const openalex = author("openalex", "A6", "Greta Hollis", {
      affiliations: ["University of Testkit"],
      works: [work("Register allocation for tiny compilers", ["Greta Hollis"], { source: "openalex", id: "W6" })]
    })
    const arxiv = author("arxiv", "Greta Hollis", "Greta Hollis", {
      works: [
        work("Incremental Compiler Construction with Attribute Grammars", ["Greta Hollis"], {
          source: "arxiv",
          id: "2501.05555v1"
        }),
        work("Register Allocation for Tiny Compilers", ["Greta Hollis"], { source: "arxiv", id: "2311.06666v2" })
      ]
    })
    const decision = disambiguate("Prof. Greta Hollis", "compiler construction", [openalex, arxiv], atTestkit)
    expect(decision.status).toBe("resolved")
    expect(decision.works.map((w) => [w.source, w.title])).toEqual([
      ["openalex", "Register allocation for tiny compilers"],
      ["arxiv", "Incremental Compiler Construction with Attribute Grammars"]
    ])
    expect(decision.works[0]!.alsoIn.map((l) => l.id)).toEqual(["2311.06666v2"])
    expect(decision.chosen?.members.map((m) => m.source)).toEqual(["openalex", "arxiv"])
    expect(decision.reason).toContain("arXiv papers under the name are taken as theirs")
  })

  it("arXiv papers no identity lists stay out when the name has namesakes", () => {
    const arxiv = author("arxiv", "Ada Lovelace", "Ada Lovelace", {
      works: [work("Punched Cards for Everyone", ["Ada Lovelace"], { source: "arxiv", id: "2405.00001v1" })]
    })
    const decision = disambiguate("Ada Lovelace", "analytical engines", [testkitAda, northfieldAda, arxiv], atTestkit)
    expect(decision.works.map((w) => w.title)).toEqual([engines.title])
  })

  it("an ORCID iD on the faculty page tells two namesakes at the same university apart", () => {
    const dbs = author("openalex", "A4", "Wei Ma", {
      affiliations: ["University of Testkit"],
      orcid: "0000-0003-1111-2222",
      topics: ["Graph Databases"],
      works: [work("Cost-Based Planning for Property Graph Queries", ["Wei Ma"])]
    })
    const theory = author("openalex", "A5", "Wei Ma", {
      affiliations: ["University of Testkit"],
      orcid: "0000-0003-9999-8888",
      topics: ["Graph Theory", "Graph Databases"],
      works: [work("Chromatic Bounds for Sparse Graph Databases", ["Wei Ma"])]
    })
    const clues = { institutions: ["University of Testkit"], orcids: ["0000-0003-1111-2222"] }
    const decision = disambiguate("Dr. Wei Ma", "graph databases", [theory, dbs], clues)
    expect(decision.chosen?.members.map((m) => m.id)).toEqual(["A4"])
    expect(decision.reason).toBe("the ORCID iD 0000-0003-1111-2222 on the recipient's page")
    // Without the ORCID iD nothing tells them apart: the same university, both on graph databases.
    const unresolved = disambiguate("Dr. Wei Ma", "graph databases", [theory, dbs], { ...clues, orcids: [] })
    expect(unresolved).toMatchObject({ status: "ambiguous", chosen: null, works: [] })
    expect(unresolved.reason).toBe(
      "2 authors named Dr. Wei Ma (Wei Ma (University of Testkit); Wei Ma (University of Testkit)) and nothing told them apart"
    )
    expect(verdicts(unresolved).map(([, v]) => v)).toEqual(["not_told_apart", "not_told_apart"])
  })

  it("with nothing from the web, the only namesake working on the interest is chosen", () => {
    const decision = disambiguate("Ada Lovelace", "analytical engines", [northfieldAda, testkitAda], noClues)
    expect(decision.chosen?.members.map((m) => m.id)).toEqual(["A1"])
    expect(decision.reason).toBe("the only one of 2 authors of this name who works on analytical engines")
    const both = disambiguate("Ada Lovelace", "history", [northfieldAda, testkitAda], noClues)
    expect(both.status).toBe("ambiguous")
  })

  it("one person in two sources is one identity (same ORCID iD), and others' names are not candidates", () => {
    const s2 = author("semantic_scholar", "1000001", "A. Lovelace", { orcid: "0000-0002-0000-0001" })
    const alan = author("openalex", "A2", "Alan Lovelace", { affiliations: ["Coastal Institute of Marine Science"] })
    const decision = disambiguate("Ada Lovelace", "analytical engines", [testkitAda, s2, alan], noClues)
    expect(decision.chosen?.members.map((m) => m.id)).toEqual(["A1", "1000001"])
    expect(decision.identities).toHaveLength(1)
  })
})

describe("web clues", () => {
  it("finds institutions and ORCID iDs, only where the recipient is mentioned", () => {
    const pages = [
      new Page({
        url: "https://u.example/ada",
        title: "Prof. Ada Lovelace | Department of Computing, University of Testkit",
        text: "Lovelace leads a lab. ORCID iD: https://orcid.org/0000-0002-0000-0001. Visiting Eastbrook University."
      }),
      new Page({ url: "https://u.example/other", title: "Someone else", text: "Works at Northfield Polytechnic." })
    ]
    const hits = [
      new SearchHit({ url: "https://u.example/ada", title: "Ada Lovelace", snippet: "At the University of Testkit." })
    ]
    expect(webClues("Ada Lovelace", hits, pages, [])).toEqual({
      institutions: ["University of Testkit", "Eastbrook University"],
      orcids: ["0000-0002-0000-0001"]
    })
  })

  it("reads institution names and ORCID iDs as they are written", () => {
    expect(institutionsIn("Coastal Institute of Marine Science and the Massachusetts Institute of Technology")).toEqual(
      ["Coastal Institute of Marine Science", "Massachusetts Institute of Technology"]
    )
    expect(institutionsIn("a University and The College")).toEqual([])
    expect(orcidsIn("ORCID: 0000-0003-1111-222X; orcid.org/0000-0001-0000-0009")).toEqual([
      "0000-0003-1111-222X",
      "0000-0001-0000-0009"
    ])
  })

  it("compares institutions by their distinctive words", () => {
    expect(sameInstitution("University of Testkit", "Testkit University")).toBe(true)
    expect(sameInstitution("Welcome To Eastbrook University", "Eastbrook University")).toBe(true)
    expect(sameInstitution("University of Testkit", "Northfield Polytechnic")).toBe(false)
  })
})
