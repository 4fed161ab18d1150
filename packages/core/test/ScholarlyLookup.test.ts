import { describe, expect, it } from "@effect/vitest"
import * as GroupedCalls from "@scribe/core/pipeline/GroupedCalls"
import { mergePapers } from "@scribe/core/pipeline/PaperMerge"
import * as ScholarlyLookup from "@scribe/core/pipeline/ScholarlyLookup"
import { Paper, type PaperSource } from "@scribe/core/upstream/Paper"
import type { AuthorCandidate, AuthorQuery, ScholarlySource } from "@scribe/core/upstream/ScholarlySource"
import { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Deferred, Effect, Fiber, Ref, TestClock } from "effect"
import { author } from "./AuthorFixtures"

const paper = (fields: Partial<Paper> & { readonly title: string }) =>
  new Paper({
    id: fields.id ?? fields.title.slice(0, 8),
    authors: ["Ada Lovelace"],
    summary: "",
    published: new Date("2024-01-01"),
    url: `https://example.org/${encodeURIComponent(fields.title)}`,
    ...fields
  })

describe("mergePapers", () => {
  it("merges by DOI, arXiv id (any version) and title whatever its casing, keeping the first listing", () => {
    const merged = mergePapers([
      paper({ title: "Register allocation for tiny compilers", source: "openalex", id: "W1", doi: null }),
      paper({ title: "Bernoulli Numbers", source: "openalex", id: "W2", doi: "10.1/b", summary: "" }),
      paper({ title: "Register Allocation for Tiny Compilers!", source: "arxiv", id: "2311.06666v2", summary: "RA." }),
      paper({
        title: "Bernoulli numbers, revisited",
        source: "semantic_scholar",
        id: "s2",
        doi: "10.1/B",
        summary: "B."
      }),
      paper({ title: "Symbolic Engines", source: "arxiv", id: "2403.01234v1" }),
      paper({ title: "Symbolic engines (journal version)", source: "openalex", id: "W3", arxivId: "2403.01234" })
    ])
    expect(merged.map((p) => [p.source, p.id, p.title])).toEqual([
      ["openalex", "W1", "Register allocation for tiny compilers"],
      ["openalex", "W2", "Bernoulli Numbers"],
      ["arxiv", "2403.01234v1", "Symbolic Engines"]
    ])
    expect(merged[0]).toMatchObject({ arxivId: "2311.06666", summary: "RA." })
    expect(merged[0]!.alsoIn.map((l) => [l.source, l.id])).toEqual([["arxiv", "2311.06666v2"]])
    expect(merged[1]).toMatchObject({ doi: "10.1/b", summary: "B." })
    expect(merged[2]!.alsoIn.map((l) => l.id)).toEqual(["W3"])
  })

  it("does not merge short generic titles", () => {
    const merged = mergePapers([paper({ title: "Introduction", id: "a" }), paper({ title: "introduction", id: "b" })])
    expect(merged).toHaveLength(2)
  })
})

describe("GroupedCalls", () => {
  it.scoped("sends the first question at once, queues the rest into groups, and asks a key once", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make<ReadonlyArray<ReadonlyArray<number>>>([])
      const grouped = yield* GroupedCalls.make<number, string, never>({
        maxGroup: 3,
        concurrency: 1,
        keyOf: String,
        call: (qs) =>
          Ref.update(calls, (all) => [...all, qs]).pipe(
            Effect.zipRight(Effect.sleep("1 second")),
            Effect.as(qs.map((q) => `#${q}`))
          )
      })
      const fibers = yield* Effect.forEach([1, 2, 3, 2, 4, 5, 6], (q) => Effect.fork(grouped.ask(q)))
      yield* TestClock.adjust("10 millis")
      expect(yield* Ref.get(calls)).toEqual([[1]])
      yield* TestClock.adjust("3 seconds")
      expect(yield* Ref.get(calls)).toEqual([[1], [2, 3, 4], [5, 6]])
      expect(yield* Effect.forEach(fibers, Fiber.join)).toEqual(["#1", "#2", "#3", "#2", "#4", "#5", "#6"])
    })
  )

  it.scoped("a call can race and be interrupted: it does not inherit the registration's uninterruptibility", () =>
    Effect.gen(function* () {
      const grouped = yield* GroupedCalls.make<number, number, never>({
        maxGroup: 10,
        concurrency: 1,
        keyOf: String,
        call: (qs) => Effect.raceFirst(Effect.as(Effect.sleep("10 millis"), qs), Effect.never)
      })
      const answer = yield* Effect.fork(grouped.ask(7))
      yield* TestClock.adjust("20 millis")
      expect(yield* Fiber.join(answer)).toBe(7)
    })
  )

  it.scoped("a failed group fails each of its askers; an interrupted asker does not stop the others' answer", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const grouped = yield* GroupedCalls.make<number, number, string>({
        maxGroup: 10,
        concurrency: 1,
        keyOf: String,
        call: (qs) => Effect.zipRight(Deferred.await(gate), qs[0] === 0 ? Effect.fail("down") : Effect.succeed(qs))
      })
      const first = yield* Effect.fork(grouped.ask(0))
      const a = yield* Effect.fork(grouped.ask(1))
      const b = yield* Effect.fork(grouped.ask(2))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(a)
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Effect.flip(Fiber.join(first))).toBe("down")
      expect(yield* Fiber.join(b)).toBe(2)
    })
  )
})

const candidate = (source: PaperSource, id: string, name: string, works: number) =>
  author(source, id, name, {
    works: Array.from({ length: works }, (_, i) =>
      paper({ title: `${name} paper number ${i} on engines`, id: `${id}-${i}`, authors: [name], source })
    )
  })

/** A source answering from a table by name, counting its calls; `fails` makes every call fail. */
const scripted = (name: PaperSource, table: Record<string, ReadonlyArray<AuthorCandidate>>, fails = false) =>
  Effect.map(Ref.make<ReadonlyArray<ReadonlyArray<string>>>([]), (asked) => ({
    asked: Ref.get(asked),
    source: {
      name,
      maxGroup: 10,
      concurrency: 1,
      keyOf: (q: AuthorQuery) => q.name,
      lookup: (qs: ReadonlyArray<AuthorQuery>) =>
        Ref.update(asked, (all) => [...all, qs.map((q) => q.name)]).pipe(
          Effect.zipRight(
            fails
              ? Effect.fail(
                  new UpstreamError({ service: name, kind: "unavailable", message: "down", retryAfterMs: null })
                )
              : Effect.succeed(qs.map((q) => table[q.name] ?? []))
          )
        )
    } satisfies ScholarlySource
  }))

const options = { recencyYears: 10, maxWorks: 30, enoughWorks: 2 }
const ask = (name: string) => ({ name, interest: "engines" })

describe("ScholarlyLookup", () => {
  it.scoped("asks a later source only about those the earlier ones know too little about", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-11-22T00:00:00Z"))
      const openalex = yield* scripted("openalex", {
        "Ada Lovelace": [candidate("openalex", "A1", "Ada Lovelace", 3)],
        "Greta Hollis": [candidate("openalex", "A2", "Greta Hollis", 1)]
      })
      const arxiv = yield* scripted("arxiv", { "Greta Hollis": [candidate("arxiv", "greta", "Greta Hollis", 2)] })
      const lookup = yield* ScholarlyLookup.make([openalex.source, arxiv.source], null, options)
      const [ada, greta, nobody] = yield* lookup.lookupMany([
        ask("Ada Lovelace"),
        ask("Greta Hollis"),
        ask("Zed Nobody")
      ])
      expect(yield* openalex.asked).toEqual([["Ada Lovelace", "Greta Hollis", "Zed Nobody"]])
      expect(yield* arxiv.asked).toEqual([["Greta Hollis", "Zed Nobody"]])
      expect(ada!.consulted.map((c) => c.source)).toEqual(["openalex"])
      expect(greta!.candidates.map((c) => c.id)).toEqual(["A2", "greta"])
      expect(nobody!.consulted).toEqual([
        { source: "openalex", cached: false, error: null, candidates: 0 },
        { source: "arxiv", cached: false, error: null, candidates: 0 }
      ])
    })
  )

  it.scoped("a source that fails is recorded and the next one asked", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-11-22T00:00:00Z"))
      const openalex = yield* scripted("openalex", {}, true)
      const arxiv = yield* scripted("arxiv", { "Ada Lovelace": [candidate("arxiv", "ada", "Ada Lovelace", 2)] })
      const lookup = yield* ScholarlyLookup.make([openalex.source, arxiv.source], null, options)
      const found = yield* lookup.lookup(ask("Ada Lovelace"))
      expect(found.consulted.map((c) => [c.source, c.error?.kind ?? null])).toEqual([
        ["openalex", "unavailable"],
        ["arxiv", null]
      ])
      expect(found.candidates.map((c) => c.id)).toEqual(["ada"])
    })
  )
})
