/**
 * The floor a batch cannot beat: the longest any one upstream budget needs for the calls the batch made (calls ÷
 * rate), plus one email's critical path (the last job starts after the others and still takes that long). Every
 * budget is counted; the one that binds is named.
 */
import type { WorldStats } from "./RemoteWorld"

/** The budgets Scribe ran under, unscaled (the benchmark divides rates by the scale). */
export interface Rates {
  readonly llmRpm: number
  readonly llmTpm: number
  readonly searchRps: number
  readonly arxivIntervalMs: number
  readonly openalexRps: number
  readonly semanticScholarRps: number
}

export interface Floor {
  /** Scaled ms. */
  readonly ms: number
  readonly binding: string
  /** Each budget's time for the batch's calls, scaled ms. */
  readonly terms: Readonly<Record<string, number>>
}

export const floorOf = (stats: WorldStats, rates: Rates, scale: number, criticalPathMs: number): Floor => {
  const terms: Record<string, number> = {
    "LLM requests": (stats.llm.succeeded / rates.llmRpm) * 60_000,
    // The token budget is a bucket holding a minute's worth: only what goes beyond it waits.
    "LLM tokens": (Math.max(0, stats.llm.estimatedTokens - rates.llmTpm) / rates.llmTpm) * 60_000,
    search: (stats.search.queries / rates.searchRps) * 1000,
    arXiv: stats.arxiv.accepted * rates.arxivIntervalMs,
    OpenAlex: (stats.openalex.accepted / rates.openalexRps) * 1000,
    "Semantic Scholar": (stats.semanticScholar.accepted / rates.semanticScholarRps) * 1000
  }
  const scaled = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v * scale]))
  const [binding, longest] = Object.entries(scaled).sort((a, b) => b[1] - a[1])[0]!
  return { ms: longest + criticalPathMs * scale, binding, terms: scaled }
}
