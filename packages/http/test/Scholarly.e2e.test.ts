import { layer } from "@effect/vitest"
import * as People from "@scribe/adapters/testkit/People"
import { pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import * as World from "@scribe/adapters/testkit/World"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { emailOf, finished, layerApp, newUserToken, submit } from "./EndToEnd"
import { call } from "./TestServer"

/** Five researchers only the batch test writes to, so their lookups start cold. */
const batchPeople: ReadonlyArray<People.Person> = [
  "Tomas Brandt",
  "Lena Varga",
  "Omar Haddad",
  "Sofia Lindqvist",
  "Kenji Mori"
].map((name, i) => ({
  key: `batch-${i}`,
  name,
  asTyped: `Prof. ${name}`,
  interest: "ocean acoustics",
  papers: [],
  pages: [],
  searchMatch: /(?!)/,
  facts: [],
  scholar: {
    openalexId: `A58000000${i}0`,
    institution: People.institutions.coastal,
    topics: ["Ocean Acoustics"],
    works: [2024, 2023].map((year) => ({
      title: `Ocean Acoustics Survey ${year} by ${name}`,
      published: `${year}-03-01`,
      doi: `10.0000/batch.${i}.${year}`,
      venue: "Journal of Ocean Acoustics",
      summary: "Sound propagation in the ocean."
    }))
  }
}))

/** Who the recipient is among namesakes, and which sources their papers come from, end to end (see `layerApp`). */
const App = layerApp({
  env: { SCRIBE_WORKER_NAME: "e2e-scholarly" },
  world: { people: [...People.all, ...batchPeople] }
})

type Email = {
  email_message: string
  is_confident: boolean
  metadata: {
    papers_used: Array<{ title: string; source: string; id: string; url: string; also_in: Array<{ source: string }> }>
    scholarly_sources: Array<{ source: string; cached: boolean; candidates: number; failed: boolean }>
    author: {
      status: string
      source: string | null
      id: string | null
      orcid: string | null
      reason: string
      web_institutions: Array<string>
      web_orcids: Array<string>
      candidates: Array<{ id: string; verdict: string }>
    }
    confidence: { is_confident: boolean; reason: string }
  }
}

const generate = (person: People.Person) =>
  Effect.gen(function* () {
    const world = yield* World.World
    world.llm.setScript(pipelineModel())
    const token = yield* newUserToken()
    const { task } = yield* submit(token, person)
    expect(task.status).toBe("SUCCESS")
    return yield* emailOf<Email>(token, task)
  })

const titlesOf = (person: People.Person) => [
  ...person.papers.map((p) => p.title),
  ...(person.scholar?.works ?? []).map((w) => w.title)
]

layer(App, { timeout: "120 seconds", excludeTestServices: true })("scholarly sources end to end", (it) => {
  describe("disambiguation", () => {
    it.effect("same name at two institutions: the one the faculty page names; the namesake's work never cited", () =>
      Effect.gen(function* () {
        const email = yield* generate(People.ada)
        const { author, papers_used } = email.metadata
        expect(author).toMatchObject({ status: "resolved", source: "openalex", id: "A5000000001" })
        expect(author.web_institutions).toContain("University of Testkit")
        expect(author.candidates).toContainEqual({
          ...author.candidates.find((c) => c.id === "A5000000009"),
          verdict: "elsewhere"
        })
        expect(papers_used.length).toBeGreaterThan(0)
        for (const paper of papers_used) expect(titlesOf(People.ada)).toContain(paper.title)
        for (const title of titlesOf(People.adaNamesake)) expect(email.email_message).not.toContain(title)
        expect(email.is_confident).toBe(true)
      })
    )

    it.effect("an ORCID iD on the faculty page picks one of two Wei Mas at the same university", () =>
      Effect.gen(function* () {
        const email = yield* generate(People.wei)
        const { author, papers_used } = email.metadata
        expect(author).toMatchObject({ status: "resolved", id: "A5000000004", orcid: "0000-0003-1111-2222" })
        expect(author.web_orcids).toEqual(["0000-0003-1111-2222"])
        expect(papers_used.map((p) => p.title).sort()).toEqual(titlesOf(People.wei).sort())
        for (const title of titlesOf(People.weiNamesake)) expect(email.email_message).not.toContain(title)
      })
    )
  })

  describe("where the papers come from", () => {
    it.effect("an author only on OpenAlex: her articles, from OpenAlex; arXiv never asked", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        const arxivBefore = world.arxiv.accepted().length
        const email = yield* generate(People.ines)
        expect(email.metadata.papers_used.map((p) => [p.source, p.title]).sort()).toEqual(
          titlesOf(People.ines)
            .map((t) => ["openalex", t])
            .sort()
        )
        expect(email.metadata.scholarly_sources.map((s) => s.source)).toEqual(["openalex"])
        expect(world.arxiv.accepted().length).toBe(arxivBefore)
        expect(email.is_confident).toBe(true)
      })
    )

    it.effect("an author only on arXiv: OpenAlex and Semantic Scholar know nothing, arXiv has her paper", () =>
      Effect.gen(function* () {
        const email = yield* generate(People.mallory)
        expect(email.metadata.scholarly_sources.map((s) => [s.source, s.candidates])).toEqual([
          ["openalex", 0],
          ["semantic_scholar", 0],
          ["arxiv", 1]
        ])
        expect(email.metadata.papers_used.map((p) => [p.source, p.id])).toEqual([["arxiv", "2402.33333v1"]])
        expect(email.metadata.papers_used[0]!.url).toBe("http://arxiv.org/abs/2402.33333v1")
      })
    )

    it.effect("on OpenAlex and arXiv with different title casing: the shared paper once, the newer preprint too", () =>
      Effect.gen(function* () {
        const email = yield* generate(People.greta)
        const used = email.metadata.papers_used
        expect(used.map((p) => [p.source, p.title]).sort()).toEqual([
          ["arxiv", "Incremental Compiler Construction with Attribute Grammars"],
          ["openalex", "Register allocation for tiny compilers"]
        ])
        expect(used.find((p) => p.source === "openalex")!.also_in.map((l) => l.source)).toEqual(["arxiv"])
        expect(email.metadata.scholarly_sources.map((s) => s.source)).toEqual(["openalex", "semantic_scholar", "arxiv"])
      })
    )
  })

  describe("batches and the author cache", () => {
    it.effect("a batch's recipients are looked up in grouped requests; the same batch again asks no source", () =>
      Effect.gen(function* () {
        const world = yield* World.World
        world.llm.setScript(pipelineModel())
        const token = yield* newUserToken()
        const people = batchPeople
        const requests = () => ({
          openalexSearches: world.openalex.accepted().filter((r) => r.path === "/authors").length,
          openalex: world.openalex.accepted().length,
          semanticScholar: world.semanticScholar.accepted().length,
          arxiv: world.arxiv.accepted().length
        })
        const runBatch = Effect.gen(function* () {
          const created = yield* call("POST", "/api/queue/batch", {
            token,
            json: {
              email_template: `Dear {{name}}, I read {{research}}. (${crypto.randomUUID()})`,
              items: people.map((p) => ({ recipient_name: p.asTyped, recipient_interest: p.interest }))
            }
          })
          expect(created.status).toBe(201)
          const ids = (created.body as { queue_item_ids: Array<string> }).queue_item_ids
          for (const id of ids) expect((yield* finished(token, id)).status).toBe("SUCCESS")
        })
        const before = requests()
        yield* runBatch
        const cold = requests()
        // The first job's recipient alone, the other four in one group behind it: two searches, not five.
        expect(cold.openalexSearches - before.openalexSearches).toBeGreaterThanOrEqual(1)
        expect(cold.openalexSearches - before.openalexSearches).toBeLessThanOrEqual(2)
        // Each recipient has two recent works in OpenAlex: no other source is asked.
        expect(cold.semanticScholar).toBe(before.semanticScholar)
        expect(cold.arxiv).toBe(before.arxiv)
        yield* runBatch
        expect(requests()).toEqual(cold)
      })
    )
  })
})
