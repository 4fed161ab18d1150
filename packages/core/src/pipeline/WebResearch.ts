/** The pure parts of web research: which queries to run, which pages to read, and which facts to believe. */

import type { TemplateType } from "../templates/Template"
import type { Page } from "../upstream/Scraper"
import type { SearchHit } from "../upstream/WebSearch"
import { canonicalUrl, type Fact, hostOf } from "./Evidence"
import { hostAllowed, linkMentions } from "./Grounding"
import { normaliseText, parsePersonName } from "./Names"

/** Search queries for a recipient (name without titles, quoted; quotes inside it removed). */
export const queries = (name: string, interest: string, templateType: TemplateType): ReadonlyArray<string> => {
  const quoted = `"${name.replace(/"/g, "")}"`
  const second =
    templateType === "book"
      ? `${quoted} book author`
      : templateType === "research"
        ? `${quoted} professor publications`
        : `${quoted} homepage`
  return [`${quoted} ${interest}`, second]
}

/** Search hits merged across queries in rank order, one per URL. */
export const mergeHits = (results: ReadonlyArray<ReadonlyArray<SearchHit>>): ReadonlyArray<SearchHit> => {
  const seen = new Set<string>()
  const merged: Array<SearchHit> = []
  const longest = Math.max(0, ...results.map((r) => r.length))
  for (let rank = 0; rank < longest; rank++) {
    for (const result of results) {
      const hit = result[rank]
      if (hit === undefined || !/^https?:\/\//i.test(hit.url)) continue
      const key = canonicalUrl(hit.url)
      if (seen.has(key)) continue
      seen.add(key)
      merged.push(hit)
    }
  }
  return merged
}

const injection =
  /\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|earlier|all)\b.{0,20}\b(instructions?|prompts?|rules)\b|\b(system prompt|you are (now )?(an? )?(ai|assistant|language model))\b/i

/** Text that addresses the model rather than describing the person. */
export const looksLikeInjection = (text: string): boolean => injection.test(text)

/**
 * Facts worth keeping: cited to a URL this job actually saw (after canonicalisation), not instruction-like, and
 * not carrying links or addresses from outside their own source's site. Duplicates dropped.
 */
export const keepSourcedFacts = (facts: ReadonlyArray<Fact>, seenUrls: ReadonlyArray<string>): ReadonlyArray<Fact> => {
  const seen = new Map(seenUrls.map((u) => [canonicalUrl(u), u]))
  const statements = new Set<string>()
  const kept: Array<Fact> = []
  for (const fact of facts) {
    const source = seen.get(canonicalUrl(fact.sourceUrl))
    const statement = fact.statement.trim()
    if (source === undefined || statement === "" || looksLikeInjection(statement)) continue
    const home = new Set([hostOf(source)].filter((h): h is string => h !== null))
    if (linkMentions(statement).some((l) => !hostAllowed(l.host, home))) continue
    const key = normaliseText(statement)
    if (statements.has(key)) continue
    statements.add(key)
    kept.push({ statement, sourceUrl: source })
  }
  return kept
}

const sentences = (text: string) =>
  text
    .replace(/\s+/g, " ")
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 20 && s.length <= 300)

/**
 * Facts without a model: search snippets and page sentences that mention the recipient's family name (two per
 * page at most), each cited to its URL.
 */
export const mentionFacts = (
  name: string,
  hits: ReadonlyArray<SearchHit>,
  pages: ReadonlyArray<Page>,
  max: number
): ReadonlyArray<Fact> => {
  const family = parsePersonName(name).family
  const mentions = (text: string) => family !== "" && normaliseText(text).replace(/ /g, "").includes(family)
  const found: Array<Fact> = [
    ...pages.flatMap((p) =>
      sentences(p.text)
        .filter(mentions)
        .slice(0, 2)
        .map((statement) => ({ statement, sourceUrl: p.url }))
    ),
    ...hits.flatMap((h) =>
      sentences(h.snippet)
        .filter(mentions)
        .slice(0, 1)
        .map((statement) => ({ statement, sourceUrl: h.url }))
    )
  ]
  return keepSourcedFacts(found, [...pages.map((p) => p.url), ...hits.map((h) => h.url)]).slice(0, max)
}
