import { expect, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import * as SemanticScholar from "../src/scholarly/SemanticScholar"
import * as Budgets from "../src/upstream/Budgets"
import * as People from "../testkit/People"
import { failure } from "../testkit/UpstreamFailure"
import * as WorldModule from "../testkit/World"
import { fresh } from "../testkit/World"

const lookupOptions = { since: new Date("2016-11-22T00:00:00Z"), maxWorks: 30 }

const source = (world: WorldModule.WorldService, options: Partial<SemanticScholar.Options> = {}) =>
  SemanticScholar.make({
    url: world.semanticScholar.url,
    apiKey: Option.some(Redacted.make(world.semanticScholar.apiKey)),
    requestsPerSecond: 1000,
    ...options
  }).pipe(Effect.provide(Budgets.layerMemory))

const query = (person: People.Person) => ({ name: person.name, interest: person.interest })

const world = WorldModule.layer({
  people: People.all,
  semanticScholar: { requestsPerSecond: 0 }
})

layer(world, { excludeTestServices: true })("Semantic Scholar against the world", (it) => {
  it.effect("one search per name, then one author batch and one paper batch for all of them", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const s2 = yield* source(w)
      const [ada, wei, nobody] = yield* s2.lookup(
        [query(People.ada), query(People.wei), query(People.nobody)],
        lookupOptions
      )
      const routes = w.semanticScholar.accepted().map((r) => `${r.method} ${r.path}`)
      expect(routes.sort()).toEqual([
        "GET /graph/v1/author/search",
        "GET /graph/v1/author/search",
        "GET /graph/v1/author/search",
        "POST /graph/v1/author/batch",
        "POST /graph/v1/paper/batch"
      ])
      expect(ada!.map((c) => [c.id, c.affiliations, c.orcid])).toEqual([
        ["1000001", ["University of Testkit"], "0000-0002-0000-0001"],
        ["1000009", ["Northfield Polytechnic"], "0000-0001-0000-0009"]
      ])
      expect(ada![0]!.works.map((p) => p.title)).toEqual([
        ...People.ada.papers.map((p) => p.title),
        People.ada.scholar!.works[0]!.title
      ])
      expect(ada![0]!.works[0]).toMatchObject({ source: "semantic_scholar", arxivId: "2403.01234" })
      expect(wei!.map((c) => c.orcid)).toEqual(["0000-0003-1111-2222", "0000-0003-9999-8888"])
      expect(nobody).toEqual([])
      // The key travels in its header; the batches carry the ids in their JSON body.
      const [batch] = w.semanticScholar.accepted().filter((r) => r.path === "/graph/v1/author/batch")
      expect(batch!.headers["x-api-key"]).toBe(w.semanticScholar.apiKey)
      expect((JSON.parse(batch!.body) as { ids: Array<string> }).ids.sort()).toEqual([
        "1000001",
        "1000004",
        "1000005",
        "1000009"
      ])
    })
  )

  it.effect("without a key it asks anyway (the shared pool); a wrong key is `auth`", () =>
    Effect.gen(function* () {
      const w = yield* fresh
      const keyless = yield* source(w, { apiKey: Option.none() })
      const [ines] = yield* keyless.lookup([query(People.ines)], lookupOptions)
      expect(ines!.map((c) => c.id)).toEqual(["1000003"])
      expect(w.semanticScholar.accepted().every((r) => r.headers["x-api-key"] === undefined)).toBe(true)
      const wrong = yield* source(w, { apiKey: Option.some(Redacted.make("nope")) })
      expect(yield* failure(wrong.lookup([query(People.ines)], lookupOptions))).toMatchObject({ kind: "auth" })
    })
  )

  it.effect("a 429 without Retry-After is waited out for a second, then retried", () =>
    Effect.gen(function* () {
      const limited = yield* WorldModule.make({ people: People.all, semanticScholar: { requestsPerSecond: 1 } })
      const s2 = yield* source(limited)
      const [ines] = yield* s2.lookup([query(People.ines)], lookupOptions)
      expect(ines).toHaveLength(1)
      expect(limited.semanticScholar.throttled().length).toBeGreaterThanOrEqual(1)
      expect(limited.semanticScholar.accepted()).toHaveLength(3)
    }).pipe(Effect.scoped)
  )
})
