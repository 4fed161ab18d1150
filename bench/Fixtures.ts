/**
 * The simulated world as the benchmarks configure it: the seed latencies, 100 distinct researchers with
 * papers and pages, the provider's budgets, and the Scribe settings that scale with the world.
 */

import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import type { ArxivEntry } from "@scribe/adapters/testkit/FakeArxiv"
import { type LlmScript, Reply } from "@scribe/adapters/testkit/FakeLlm"
import type { Person } from "@scribe/adapters/testkit/People"
import { pipelineModel } from "@scribe/adapters/testkit/PipelineModel"
import type * as World from "@scribe/adapters/testkit/World"
import { Effect, Option, Redacted } from "effect"
import { md5Uuid } from "./Seed"

/**
 * Seed latencies in ms before scaling. Web research (6.8 s) is the search (both queries at once), the pages (fetched
 * at once) and the fact extraction call: 0.8 + 1.0 + 5.0. An OpenAlex or Semantic Scholar request takes 0.3 / 0.4 s;
 * a scholarly lookup from OpenAlex is two of them (the author search, then the works), 0.6 s.
 */
export const seed = {
  analysis: 1200,
  search: 800,
  page: 1000,
  facts: 5000,
  arxiv: 1100,
  openalex: 300,
  semanticScholar: 400,
  compose: 3300
} as const

export const webResearchMs = seed.search + seed.page + seed.facts
export const scholarlyLookupMs = 2 * seed.openalex
/** Every step one after another: 12.4 s (arXiv as the scholarly lookup, as the seeds had it). */
export const sequentialMs = seed.analysis + webResearchMs + seed.arxiv + seed.compose
/** The original's critical path: analysis, then the longer of web research and arXiv, then composing: 11.3 s. */
export const originalCriticalPathMs = seed.analysis + Math.max(webResearchMs, seed.arxiv) + seed.compose
/** Analysis, web research and the scholarly lookup at once, then composing: max(1.2, 6.8, 0.6) + 3.3 = 10.1 s. */
export const criticalPathMs = Math.max(seed.analysis, webResearchMs, scholarlyLookupMs) + seed.compose

export type Latencies = { readonly [K in keyof typeof seed]: number }
export const zeroLatencies: Latencies = {
  analysis: 0,
  search: 0,
  page: 0,
  facts: 0,
  arxiv: 0,
  openalex: 0,
  semanticScholar: 0,
  compose: 0
}

/** The pipeline model of the test kit, answering each of the three calls after its seed latency. */
export const timedModel = (latencies: Latencies): LlmScript => {
  const model = pipelineModel()
  const latency: Record<string, number> = {
    template_analysis: latencies.analysis,
    web_facts: latencies.facts,
    email_draft: latencies.compose
  }
  return async (request) => Reply.slow(latency[request.schemaName ?? ""] ?? 0, await model(request))
}

// ---------------------------------------------------------------------------------------------------------------
// 100 distinct researchers

const firstNames = ["Amara", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas"]
const surnameHeads = ["Alder", "Brink", "Corvin", "Dunmore", "Eskil", "Farrow", "Gilden", "Harlow", "Ivers", "Jessup"]
const surnameTails = ["ton", "wick", "berg", "stead", "ford", "ley", "mark", "sen", "ova", "ridge"]
const topics: ReadonlyArray<readonly [interest: string, theme: string]> = [
  ["graph neural networks", "Message Passing"],
  ["protein folding", "Structure Prediction"],
  ["quantum error correction", "Surface Codes"],
  ["causal inference", "Instrumental Variables"],
  ["reinforcement learning", "Offline Policies"],
  ["computational linguistics", "Morphological Parsing"],
  ["distributed databases", "Consensus Protocols"],
  ["computer vision", "Depth Estimation"],
  ["climate modelling", "Ocean Circulation"],
  ["program synthesis", "Inductive Specifications"]
]

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The benchmark researchers' university, as OpenAlex lists it. */
const benchmarks = { id: "I4299999999", ror: "05bnchmrk99", name: "University of Benchmarks", country: "GB" }

/** Researchers whose field publishes in journals, not on arXiv (three in ten, like most faculty outside CS/physics). */
export const journalOnly = (i: number) => [3, 7, 9].includes(i % 10)

/**
 * Researcher `i` (0–99): a unique surname, two recent papers on their interest (on arXiv, or for three in ten only in
 * journals), known to OpenAlex at the University of Benchmarks, a faculty page and a lab page.
 */
export const researcher = (i: number): Person => {
  const first = firstNames[i % 10]!
  const surname = `${surnameHeads[Math.floor(i / 10) % 10]}${surnameTails[i % 10]}`
  const name = `${first} ${surname}`
  const [interest, theme] = topics[(i * 7) % 10]!
  const year = 2023 + (i % 3)
  const papers: ReadonlyArray<ArxivEntry> = [
    {
      id: `${String(year % 100).padStart(2, "0")}0${1 + (i % 9)}.${String(10_000 + i * 7).slice(-5)}v1`,
      title: `${theme} for ${interest.replace(/\b\w/g, (c) => c.toUpperCase())}: A Study`,
      summary: `We study ${interest} and show how ${theme.toLowerCase()} improves it on standard benchmarks.`,
      authors: [name, "Rosa Quill"],
      published: `${year}-0${1 + (i % 9)}-15T10:00:00Z`,
      categories: ["cs.LG"]
    },
    {
      id: `${String(year % 100).padStart(2, "0")}1${i % 3}.${String(20_000 + i * 13).slice(-5)}v2`,
      title: `Scalable ${interest.replace(/\b\w/g, (c) => c.toUpperCase())} in Practice`,
      summary: `A practical account of ${interest} at scale, with open code.`,
      authors: ["Tomas Reed", name],
      published: `${year - 1}-1${i % 3}-02T10:00:00Z`,
      categories: ["cs.AI"]
    }
  ]
  const slug = `${first}-${surname}`.toLowerCase()
  const journal = journalOnly(i)
  return {
    key: slug,
    name,
    asTyped: i % 2 === 0 ? `Prof. ${name}` : `Dr. ${name}, PhD`,
    interest,
    papers: journal ? [] : papers,
    scholar: {
      openalexId: `A57${String(i).padStart(8, "0")}`,
      institution: benchmarks,
      topics: [interest.replace(/\b\w/g, (c) => c.toUpperCase()), theme],
      works: journal
        ? papers.map((p, n) => ({
            title: p.title,
            published: p.published.slice(0, 10),
            doi: `10.0000/bench.${i}.${n}`,
            venue: "Journal of Benchmarks",
            summary: p.summary
          }))
        : []
    },
    searchMatch: new RegExp(`\\b${first}\\b.*\\b${surname}\\b`, "i"),
    facts: [`${surname} Lab`],
    pages: [
      {
        path: `/people/${slug}`,
        title: `Prof. ${name} | University of Benchmarks`,
        snippet: `${name} works on ${interest}.`,
        html: (origin) => `<!doctype html><html><head><title>${name}</title></head><body><main>
<h1>Prof. ${name}</h1>
<p>${surname} is Professor of Computing at the University of Benchmarks.</p>
<p>${surname} leads the <a href="${origin}/labs/${slug}">${surname} Lab</a>, which works on ${interest}.</p>
<h2>Selected publications</h2>
<ul>${papers.map((p) => `<li>${escapeHtml(p.title)}</li>`).join("")}</ul>
</main></body></html>`
      },
      {
        path: `/labs/${slug}`,
        title: `${surname} Lab`,
        snippet: `The ${surname} Lab studies ${interest}.`,
        html: () => `<!doctype html><html><head><title>${surname} Lab</title></head><body><main>
<h1>${surname} Lab</h1>
<p>Led by Prof. ${name}. The ${surname} Lab studies ${interest} and ${theme.toLowerCase()}.</p>
</main></body></html>`
      }
    ]
  }
}

export const researchers: ReadonlyArray<Person> = Array.from({ length: 100 }, (_, i) => researcher(i))

/** A template with a marker of its own, so its analysis is never served from an earlier run's cache. */
export const template = (marker: string) =>
  `Dear {{name}},\n\nI read {{research}} with great interest and would love to join your group.\n\nBest,\nSam (${marker})`

/** The world with the given latencies (before scaling) and, optionally, the provider's requests-per-minute limit. */
export const worldOptions = (
  scale: number,
  latencies: Latencies,
  options: { readonly rpm?: number; readonly arxivIntervalMs?: number } = {}
): World.Options => ({
  scale,
  people: researchers,
  llm: { script: timedModel(latencies), ...(options.rpm !== undefined ? { rpm: options.rpm } : {}) },
  search: { latencyMs: latencies.search },
  pageLatencyMs: latencies.page,
  arxiv: { latencyMs: latencies.arxiv, minIntervalMs: options.arxivIntervalMs ?? 3000 },
  openalex: { latencyMs: latencies.openalex },
  semanticScholar: { latencyMs: latencies.semanticScholar }
})

/**
 * Scribe's time settings scaled like the world, so a run at ×0.1 behaves like a real one ten times faster: the LLM
 * token budget (the world sets the request budget), retry back-off and the per-attempt limit.
 */
export const scaledSettings = (scale: number): Record<string, string> => ({
  SCRIBE_LLM_TPM: String(Math.round(200_000 / scale)),
  SCRIBE_RETRY_BASE_SECONDS: String(5 * scale),
  SCRIBE_RETRY_MAX_SECONDS: String(300 * scale),
  SCRIBE_TASK_TIMEOUT_SECONDS: String(180 * scale)
})

// ---------------------------------------------------------------------------------------------------------------
// Auth

export const jwtSecret = "scribe-bench-secret-0123456789abcdef0123456789"

export const authOptions: SupabaseAuth.Options = {
  jwtSecret: Option.some(Redacted.make(jwtSecret)),
  supabaseUrl: Option.none(),
  audience: "authenticated"
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * A token as Supabase issues it, valid for two hours. Its `sub` is a UUID: `user` itself, or the one made from a label
 * (`bench-user-7` → `md5('bench-user-7')::uuid`, as the seed stores it).
 */
export const tokenFor = (user: string): Promise<string> =>
  Effect.runPromise(
    SupabaseAuth.signHs256(jwtSecret, {
      sub: uuid.test(user) ? user : md5Uuid(user),
      email: `${user}@bench.example`,
      aud: "authenticated",
      role: "authenticated",
      exp: Math.floor(Date.now() / 1000) + 7200
    })
  )
