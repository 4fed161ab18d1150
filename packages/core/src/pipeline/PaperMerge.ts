/** One paper listed by several sources, or twice by one, becomes one: matched by DOI, arXiv id or title. */
import { arxivIdOf, Paper, PaperLocation } from "../upstream/Paper"
import { normaliseText } from "./Names"

/** A title matches another by its normalised text only when it is long enough not to be generic ("Introduction"). */
const titleKey = (title: string): string | null => {
  const key = normaliseText(title)
  return key.split(" ").length >= 3 && key.length >= 15 ? key : null
}

/** The keys that identify a paper across sources. */
export const paperKeys = (paper: Paper): ReadonlyArray<string> => {
  const keys: Array<string> = []
  if (paper.doi !== null) keys.push(`doi:${paper.doi.toLowerCase()}`)
  const arxiv = arxivIdOf(paper)
  if (arxiv !== null) keys.push(`arxiv:${arxiv}`)
  const title = titleKey(paper.title)
  if (title !== null) keys.push(`title:${title}`)
  return keys
}

const locationOf = (paper: Paper) => new PaperLocation({ source: paper.source, id: paper.id, url: paper.url })

/** `first` completed with what the others know (ids, an abstract, the other listings), keeping `first`'s wording. */
const combine = (first: Paper, others: ReadonlyArray<Paper>): Paper => {
  if (others.length === 0) return first
  const all = [first, ...others]
  const seen = new Set([`${first.source}:${first.id}`])
  const alsoIn = [...first.alsoIn]
  for (const other of others) {
    for (const location of [locationOf(other), ...other.alsoIn]) {
      const key = `${location.source}:${location.id}`
      if (seen.has(key)) continue
      seen.add(key)
      alsoIn.push(location)
    }
  }
  return new Paper({
    ...first,
    summary: all.map((p) => p.summary).find((s) => s.trim() !== "") ?? "",
    doi: first.doi ?? others.find((p) => p.doi !== null)?.doi ?? null,
    arxivId: arxivIdOf(first) ?? others.map(arxivIdOf).find((id) => id !== null) ?? null,
    alsoIn
  })
}

/**
 * Papers merged by DOI, arXiv id or normalised title (so title casing and punctuation do not matter), in the order of
 * their first listing; the first listing's title, source and link are kept and the others recorded in `alsoIn`.
 */
export const mergePapers = (papers: ReadonlyArray<Paper>): ReadonlyArray<Paper> => {
  const parent = papers.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!
      i = parent[i]!
    }
    return i
  }
  const owner = new Map<string, number>()
  papers.forEach((paper, i) => {
    for (const key of paperKeys(paper)) {
      const j = owner.get(key)
      if (j === undefined) owner.set(key, i)
      else {
        const [a, b] = [find(i), find(j)]
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
      }
    }
  })
  const groups = new Map<number, Array<Paper>>()
  papers.forEach((paper, i) => {
    const root = find(i)
    const group = groups.get(root)
    if (group === undefined) groups.set(root, [paper])
    else group.push(paper)
  })
  return [...groups.values()].map(([first, ...others]) => combine(first!, others))
}
