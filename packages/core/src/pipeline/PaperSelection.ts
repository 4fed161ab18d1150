import type { Paper } from "../upstream/Paper"
import { isSameAuthor, normaliseText } from "./Names"

const stopwords = new Set(
  "a an and are as at be by for from in into is of on or the to with via using towards toward their its about based new study studies approach approaches method methods"
    .split(" ")
    .concat(["research", "work", "analysis", "theory", "applications"])
)

const stem = (word: string): string => {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`
  if (word.length > 3 && word.endsWith("s") && !/(ss|us|is)$/.test(word)) return word.slice(0, -1)
  return word
}

/** The content words of a text, normalised and crudely stemmed. */
export const terms = (text: string): ReadonlySet<string> =>
  new Set(
    normaliseText(text)
      .split(" ")
      .filter((w) => w.length > 2 && !stopwords.has(w))
      .map(stem)
  )

/** Interest terms found in the title (worth 2) and in the abstract (worth 1). */
export const relevance = (paper: Paper, interest: ReadonlySet<string>): number => {
  const title = terms(paper.title)
  const summary = terms(paper.summary)
  let score = 0
  for (const t of interest) score += (title.has(t) ? 2 : 0) + (summary.has(t) ? 1 : 0)
  return score
}

export interface PaperSelectionOptions {
  readonly now: Date
  readonly recencyYears: number
  readonly maxPapers: number
}

export interface PaperSelection {
  /** Best first: by relevance to the interest, then newest. */
  readonly selected: ReadonlyArray<Paper>
  /** Papers whose author list does not contain the recipient (homonyms included). */
  readonly notAuthor: ReadonlyArray<Paper>
  readonly tooOld: ReadonlyArray<Paper>
  /** Verified, recent papers dropped for sharing no term with the interest. */
  readonly irrelevant: ReadonlyArray<Paper>
}

const baseId = (id: string) => id.replace(/v\d+$/, "")

/**
 * Keeps the papers the recipient really wrote, published within `recencyYears`, that share a term with the
 * interest. When none shares a term (arXiv already filtered by topic, or the interest is phrased differently), the
 * recipient's recent papers are kept anyway: they are still their own work, and citing them is grounded.
 */
export const selectPapers = (
  papers: ReadonlyArray<Paper>,
  recipient: string,
  interest: string,
  options: PaperSelectionOptions
): PaperSelection => {
  const seen = new Set<string>()
  const unique = papers.filter((p) => {
    const id = baseId(p.id)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
  const notAuthor = unique.filter((p) => !p.authors.some((a) => isSameAuthor(recipient, a)))
  const authored = unique.filter((p) => p.authors.some((a) => isSameAuthor(recipient, a)))
  const cutoff = new Date(options.now)
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - options.recencyYears)
  const tooOld = authored.filter((p) => p.published.getTime() < cutoff.getTime())
  const recent = authored.filter((p) => p.published.getTime() >= cutoff.getTime())
  const wanted = terms(interest)
  const scored = recent
    .map((paper) => ({ paper, score: relevance(paper, wanted) }))
    .sort((a, b) => b.score - a.score || b.paper.published.getTime() - a.paper.published.getTime())
  const relevant = scored.filter((s) => s.score > 0)
  const kept = relevant.length > 0 ? relevant : scored
  return {
    selected: kept.slice(0, options.maxPapers).map((s) => s.paper),
    notAuthor,
    tooOld,
    irrelevant: relevant.length > 0 ? scored.filter((s) => s.score === 0).map((s) => s.paper) : []
  }
}
