/**
 * Embedding Scribe's core in another Node app with your own adapters: here a tiny in-process "library" answers the
 * research ports, and the deterministic composer (no language model) writes the email. Run it with
 * `npx tsx docs/examples/embed-core.ts`; CI runs it too (docs/examples/embed-core.test.ts).
 */

import { JobId, UserId } from "@scribe/core/Ids"
import { Generator } from "@scribe/core/jobs/Generator"
import { NewJob, pendingJob } from "@scribe/core/jobs/Job"
import { BatchRecipients } from "@scribe/core/pipeline/BatchRecipients"
import * as Pipeline from "@scribe/core/pipeline/Pipeline"
import * as ArxivSource from "@scribe/core/upstream/ArxivSource"
import { AuthorCache } from "@scribe/core/upstream/AuthorCache"
import { Paper } from "@scribe/core/upstream/Paper"
import { ScholarlySources } from "@scribe/core/upstream/ScholarlySource"
import { Page, Scraper } from "@scribe/core/upstream/Scraper"
import { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { SearchHit, WebSearch } from "@scribe/core/upstream/WebSearch"
import { Effect, Layer } from "effect"

// Your data: what your app already knows about people.
const papers = [
  new Paper({
    id: "2401.00001v1",
    title: "Graph Colouring with Local Search",
    authors: ["Grace Hopper", "Alan Turing"],
    summary: "Local search heuristics for colouring sparse graphs.",
    published: new Date("2024-01-02T00:00:00Z"),
    url: "https://arxiv.org/abs/2401.00001v1"
  })
]
const pages: Record<string, Page> = {
  "https://uni.example/hopper": new Page({
    url: "https://uni.example/hopper",
    title: "Grace Hopper",
    text: "Grace Hopper leads the Compilers Lab and works on graph algorithms."
  })
}

// Your adapters: one layer per port the pipeline needs.
const MySearch = Layer.succeed(WebSearch, {
  search: (query) =>
    Effect.succeed(
      query.includes("Hopper")
        ? [new SearchHit({ url: "https://uni.example/hopper", title: "Grace Hopper", snippet: "Compilers Lab" })]
        : []
    )
})
const MyPages = Layer.succeed(Scraper, {
  fetchPage: (url) => {
    const page = pages[url]
    return page !== undefined
      ? Effect.succeed(page)
      : Effect.fail(new UpstreamError({ service: "page", kind: "not_found", message: url, retryAfterMs: null }))
  }
})
// Scholarly sources, asked in order: here one, answering like arXiv (papers by an author's name).
const MyPapers = Layer.succeed(ScholarlySources, {
  sources: [
    ArxivSource.make({
      searchByAuthor: ({ author }) => Effect.succeed(papers.filter((p) => p.authors.includes(author)))
    })
  ]
})

// No author cache and no batches here: every email asks the sources.
const NoCache = Layer.succeed(AuthorCache, { get: () => Effect.succeed(new Map()), put: () => Effect.void })
const NoBatches = Layer.succeed(BatchRecipients, { others: () => Effect.succeed([]) })

/** The pipeline with the deterministic composer, over your adapters. */
export const GeneratorLive = Pipeline.layerNoLlm.pipe(
  Layer.provide(Layer.mergeAll(MySearch, MyPages, MyPapers, NoCache, NoBatches))
)

/** Writes one email; `progress` receives each step as it starts and finishes. */
export const writeOne = Effect.gen(function* () {
  const generator = yield* Generator
  const job = pendingJob(
    new NewJob({
      id: JobId.make(crypto.randomUUID()),
      userId: UserId.make("student-1"),
      batchId: null,
      recipientName: "Dr. Grace Hopper",
      recipientInterest: "graph algorithms",
      emailTemplate: "Dear {{name}},\n\nI enjoyed {{research}}.\n\nBest,\nSam",
      createdAt: new Date()
    }),
    1
  )
  return yield* generator.generate(job, (p) => Effect.logDebug(`${p.step}: ${p.stepStatus}`))
}).pipe(Effect.provide(GeneratorLive))

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(writeOne).then((email) => console.log(email.emailMessage))
}
