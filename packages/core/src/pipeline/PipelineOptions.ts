import { Duration } from "effect"

/** The pipeline's limits and budgets; a layer takes any subset and fills the rest from `defaultOptions`. */
export interface Options {
  /** Results asked of the search engine per query. */
  readonly searchResultsPerQuery: number
  /** Pages fetched and read per recipient. */
  readonly maxPages: number
  /** Characters of each page shown to the model. */
  readonly maxPageChars: number
  readonly maxFacts: number
  /** Verified papers handed to the composer. */
  readonly maxPapers: number
  /** Papers asked of arXiv before verification, and works per author asked of the other scholarly sources. */
  readonly arxivMaxResults: number
  /** Recent works under the recipient's name after which later scholarly sources are not asked. */
  readonly scholarlyEnoughWorks: number
  /** Papers older than this are not cited. */
  readonly recencyYears: number
  /** Drafts written again after failing a check, before the last one is sanitised and flagged. */
  readonly maxRegenerations: number
  /** Extra tries for a model reply that does not decode, per call. */
  readonly malformedRetries: number
  /** Pages fetched at once. */
  readonly fetchConcurrency: number
  /** Facts that make an email confident when no paper was verified. */
  readonly minFactsForConfidence: number
  readonly minEmailLength: number
  readonly maxEmailLength: number
  readonly templateCacheCapacity: number
  readonly templateCacheTtl: Duration.DurationInput
}

export const defaultOptions: Options = {
  searchResultsPerQuery: 8,
  maxPages: 3,
  maxPageChars: 8000,
  maxFacts: 12,
  maxPapers: 5,
  arxivMaxResults: 30,
  scholarlyEnoughWorks: 2,
  recencyYears: 10,
  maxRegenerations: 2,
  malformedRetries: 2,
  fetchConcurrency: 3,
  minFactsForConfidence: 2,
  minEmailLength: 50,
  maxEmailLength: 5000,
  templateCacheCapacity: 256,
  templateCacheTtl: Duration.hours(24)
}
