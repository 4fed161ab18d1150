import { describe, expect, it, layer } from "@effect/vitest"
import type { AuthorCandidate } from "@scribe/core/upstream/ScholarlySource"
import { Effect, Option, Redacted } from "effect"
import * as OpenAlex from "../src/scholarly/OpenAlex"
import * as Budgets from "../src/upstream/Budgets"
import * as People from "../testkit/People"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh } from "../testkit/World"

const since = new Date("2016-11-22T00:00:00Z")
const lookupOptions = { since, maxWorks: 30 }

const source = (world: WorldModule.WorldService, options: Partial<OpenAlex.Options> = {}) =>
  OpenAlex.make({
    url: world.openalex.url,
    apiKey: Redacted.make(world.openalex.apiKey),
    mailto: Option.some("testkit@example.org"),
    requestsPerSecond: 1000,
    ...options
  }).pipe(Effect.provide(Budgets.layerMemory))

const query = (person: People.Person) => ({ name: person.name, interest: person.interest })
const summary = (c: AuthorCandidate) => ({
  id: c.id,
  name: c.name,
  affiliations: c.affiliations,
  orcid: c.orcid,
  works: c.works.map((w) => w.title)
})

describe("OpenAlex requests", () => {
  it("searches a name by its words, without initials, accents or query syntax", () => {
    expect(OpenAlex.nameClause("Ada Lovelace")).toBe("(ada AND lovelace)")
    expect(OpenAlex.nameClause("Élise Müller")).toBe("(elise AND muller)")
    expect(OpenAlex.nameClause('A. "OR" Lovelace')).toBe("(or AND lovelace)")
    expect(OpenAlex.nameClause("Jean-Pierre O'Neil")).toBe("(jean-pierre AND o'neil)")
    expect(OpenAlex.nameClause("()")).toBeNull()
  })

  it("rebuilds an abstract from its inverted index", () => {
    expect(OpenAlex.abstractText({ engines: [1, 3], Analytical: [0], weave: [2] })).toBe(
      "Analytical engines weave engines"
    )
    expect(OpenAlex.abstractText(null)).toBe("")
  })

  it("packs authors into works requests of at most 50 ids and about one page of works", () => {
    const authors = Array.from({ length: 120 }, (_, i) => ({ id: i, works: i < 110 ? 1 : 60 }))
    const groups = OpenAlex.packAuthors(authors, (a) => a.works)
    for (const group of groups) {
      expect(group.length).toBeLessThanOrEqual(50)
      const load = group.reduce((n, a) => n + a.works, 0)
      expect(load <= 100 || group.length === 1).toBe(true)
    }
    expect(
      groups
        .flat()
        .map((a) => a.id)
        .sort((a, b) => a - b)
    ).toEqual(authors.map((a) => a.id))
  })
})

const world = WorldModule.layer({ people: People.all })

layer(world, { excludeTestServices: true })("OpenAlex against the world", (it) => {
  it.effect("a group of names costs one author search and one works request, ids and all", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const openalex = yield* source(w)
      const [ada, ines, nobody] = yield* openalex.lookup(
        [query(People.ada), query(People.ines), query(People.nobody)],
        lookupOptions
      )
      expect(w.openalex.accepted().map((r) => r.path)).toEqual(["/authors", "/works"])
      // Both Ada Lovelaces: the source lists candidates, it does not choose.
      expect(ada!.map(summary)).toEqual([
        {
          id: "A5000000001",
          name: "Ada Lovelace",
          affiliations: ["University of Testkit"],
          orcid: "0000-0002-0000-0001",
          works: [...People.ada.papers.map((p) => p.title), People.ada.scholar!.works[0]!.title]
        },
        {
          id: "A5000000009",
          name: "Ada Lovelace",
          affiliations: ["Northfield Polytechnic"],
          orcid: "0000-0001-0000-0009",
          works: People.adaNamesake.scholar!.works.map((x) => x.title)
        }
      ])
      expect(ines!.map(summary)).toEqual([
        {
          id: "A5000000003",
          name: "Ines Okafor",
          affiliations: ["University of Testkit"],
          orcid: null,
          works: People.ines.scholar!.works.map((x) => x.title)
        }
      ])
      expect(nobody).toEqual([])
      const [first] = ada!
      expect(first!.topics).toEqual(People.ada.scholar!.topics)
      expect(first!.url).toBe("https://openalex.org/A5000000001")
      const symbolic = first!.works[0]!
      expect(symbolic).toMatchObject({
        source: "openalex",
        doi: "10.48550/arxiv.2403.01234",
        arxivId: "2403.01234",
        url: "https://arxiv.org/abs/2403.01234"
      })
      expect(symbolic.id).toMatch(/^W\d+$/)
      expect(symbolic.summary).toContain("manipulate symbols as well as numbers")
      expect(symbolic.authors).toEqual(["Ada Lovelace", "Charles Babbage"])
      expect(first!.works.at(-1)).toMatchObject({ doi: "10.0000/testkit.jmc.2021.17", arxivId: null })
      // The request: a boolean search of the names, the key and mailto, ids OR-ed, recent works newest first.
      const [search, works] = w.openalex.accepted()
      expect(search!.query.get("search")).toBe("(ada AND lovelace) OR (ines AND okafor) OR (zed AND nobody)")
      expect(search!.query.get("api_key")).toBe(w.openalex.apiKey)
      expect(search!.query.get("mailto")).toBe("testkit@example.org")
      expect(works!.query.get("filter")).toMatch(
        /^authorships\.author\.id:A\d+\|A\d+\|A\d+,from_publication_date:2016-11-22$/
      )
      expect(works!.query.get("sort")).toBe("publication_date:desc")
    })
  )

  it.effect("keeps titles as OpenAlex writes them, and what it lacks stays missing", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const openalex = yield* source(w)
      const [greta] = yield* openalex.lookup([query(People.greta)], lookupOptions)
      // The 2012 course report is too old to be asked for; the newest preprint is not in OpenAlex yet.
      expect(greta!.map(summary)).toEqual([
        expect.objectContaining({ works: ["Register allocation for tiny compilers"] })
      ])
      expect(greta![0]!.works[0]).toMatchObject({ arxivId: null, doi: null })
    })
  )

  it.effect("waits out a 429's Retry-After and tries again", () =>
    Effect.gen(function* () {
      const limited = yield* WorldModule.make({ people: People.all, openalex: { requestsPerSecond: 1 } })
      const openalex = yield* source(limited)
      const [ada] = yield* openalex.lookup([query(People.ada)], lookupOptions)
      expect(ada!.map((c) => c.id)).toEqual(["A5000000001", "A5000000009"])
      expect(limited.openalex.throttled().length).toBeGreaterThanOrEqual(1)
      expect(limited.openalex.accepted().map((r) => r.path)).toEqual(["/authors", "/works"])
      const [refused] = limited.openalex.throttled()
      const retried = limited.openalex.accepted()[1]!
      expect(retried.at - refused!.at).toBeGreaterThanOrEqual(900)
    }).pipe(Effect.scoped)
  )

  it.effect("a server error is `unavailable` and a wrong key `auth`", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      w.openalex.setFailure(503)
      const openalex = yield* source(w)
      expect(yield* failure(openalex.lookup([query(People.ada)], lookupOptions))).toMatchObject({
        kind: "unavailable",
        message: "OpenAlex answered 503"
      })
      w.openalex.setFailure(null)
      const wrongKey = yield* source(w, { apiKey: Redacted.make("not-the-key") })
      const refused = yield* failure(wrongKey.lookup([query(People.ada)], lookupOptions))
      expect(refused.kind).toBe("auth")
      expect(refused.message).not.toContain("not-the-key")
    })
  )
})

const namesakes: ReadonlyArray<People.Person> = Array.from({ length: 120 }, (_, i) => ({
  key: `park-${i}`,
  name: "Jun Park",
  asTyped: "Jun Park",
  interest: "sensor networks",
  papers: [],
  pages: [],
  searchMatch: /(?!)/,
  facts: [],
  scholar: {
    openalexId: `A59${String(i).padStart(8, "0")}`,
    institution: People.institutions.eastbrook,
    topics: ["Sensor Networks"],
    works: [
      {
        title: `Sensor Placement Study Number ${i}`,
        published: "2024-01-01",
        doi: `10.0000/park.${i}`,
        venue: "Sensors",
        summary: "Where to place sensors."
      }
    ]
  }
}))

layer(WorldModule.layer({ people: namesakes }), { excludeTestServices: true })("OpenAlex paging", (it) => {
  it.effect("pages through 120 namesakes and packs their works into requests of at most 50 ids", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const openalex = yield* source(w)
      const [park] = yield* openalex.lookup([{ name: "Jun Park", interest: "sensor networks" }], lookupOptions)
      expect(park).toHaveLength(120)
      expect(new Set(park!.map((c) => c.id)).size).toBe(120)
      for (const candidate of park!) expect(candidate.works).toHaveLength(1)
      const requests = w.openalex.accepted()
      expect(requests.filter((r) => r.path === "/authors").map((r) => r.query.get("page"))).toEqual(["1", "2"])
      const works = requests.filter((r) => r.path === "/works")
      expect(works).toHaveLength(3)
      for (const r of works) {
        const ids = /authorships\.author\.id:([^,]+)/.exec(r.query.get("filter")!)![1]!.split("|")
        expect(ids.length).toBeLessThanOrEqual(50)
      }
    })
  )
})
