/**
 * What the web says about who the recipient is, for telling namesakes apart: the institutions and the ORCID iDs on
 * the pages and results that mention them (by family name), and in the facts read from those pages.
 */
import type { Page } from "../upstream/Scraper"
import type { SearchHit } from "../upstream/WebSearch"
import type { Fact } from "./Evidence"
import { normaliseText, parsePersonName } from "./Names"

export interface WebClues {
  /** Institutions named where the recipient is, most mentioned first. */
  readonly institutions: ReadonlyArray<string>
  /** Bare ORCID iDs (`0000-0002-1825-0097`). */
  readonly orcids: ReadonlyArray<string>
}

export const noClues: WebClues = { institutions: [], orcids: [] }

const kindPattern = /\b(?:University|Institute|College|Polytechnic|Academy)\b/gu
/** Up to four capitalised words right before the kind word: `Massachusetts ` of `Massachusetts Institute`. */
const before = /(?:[\p{Lu}][\p{L}'’-]+ ){0,4}$/u
/** `of X`, `for the X Y` right after it. */
const after = /^(?: (?:of|for)(?: the)?(?: [\p{Lu}][\p{L}'’-]+){1,4})?/u
const orcidPattern =
  /\b(?:orcid(?:\.org\/|\s*(?:id|iD)?\s*[:#]?\s*)|https?:\/\/(?:www\.)?orcid\.org\/)(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\b/gi
const bareOrcid = /orcid\.org\/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/gi

/** Capitalised words that start a sentence or a title rather than an institution's name. */
const leading =
  /^(?:(?:The|A|An|Our|Her|His|Their|At|In|From|To|And|Visiting|Professor|Lecturer|Welcome|Department|School|Faculty)\s+)+/

/**
 * Institution names in a text (`University of X`, `X University`, `X Institute of Technology`, `Coastal Institute of
 * Marine Science`); a name that is only the kind word (`University`) is not one. Found from each kind word outwards,
 * which costs a fraction of one pattern tried at every capital.
 */
export const institutionsIn = (text: string): ReadonlyArray<string> =>
  Array.from(text.matchAll(kindPattern), (m) => {
    const start = m.index
    const end = start + m[0].length
    const head = before.exec(text.slice(Math.max(0, start - 120), start))?.[0] ?? ""
    const tail = after.exec(text.slice(end, end + 120))?.[0] ?? ""
    return `${head}${m[0]}${tail}`.trim().replace(leading, "")
  }).filter((name) => name.split(" ").length >= 2)

export const orcidsIn = (text: string): ReadonlyArray<string> => [
  ...new Set([
    ...Array.from(text.matchAll(orcidPattern), (m) => (m[1] ?? "").toUpperCase()),
    ...Array.from(text.matchAll(bareOrcid), (m) => (m[1] ?? "").toUpperCase())
  ])
]

/** Clues from the texts that mention the recipient's family name. */
export const webClues = (
  name: string,
  hits: ReadonlyArray<SearchHit>,
  pages: ReadonlyArray<Page>,
  facts: ReadonlyArray<Fact>
): WebClues => {
  const family = parsePersonName(name).family
  const mentions = (text: string) => family !== "" && normaliseText(text).replace(/ /g, "").includes(family)
  const texts = [
    ...pages.map((p) => `${p.title}\n${p.text}`),
    ...hits.map((h) => `${h.title}\n${h.snippet}`),
    ...facts.map((f) => f.statement)
  ].filter(mentions)
  const counts = new Map<string, { readonly name: string; n: number }>()
  for (const text of texts) {
    for (const institution of new Set(institutionsIn(text))) {
      const key = normaliseText(institution)
      const entry = counts.get(key) ?? { name: institution, n: 0 }
      entry.n += 1
      counts.set(key, entry)
    }
  }
  return {
    institutions: [...counts.values()].sort((a, b) => b.n - a.n).map((e) => e.name),
    orcids: [...new Set(texts.flatMap(orcidsIn))]
  }
}

const generic = new Set(
  "university universidad universite universitat of the for and at in de du la institute institut college school polytechnic academy technology department faculty".split(
    " "
  )
)

/** The words that tell an institution apart (`testkit` of `University of Testkit`). */
const distinctive = (name: string): ReadonlyArray<string> =>
  normaliseText(name)
    .split(" ")
    .filter((w) => w.length > 1 && !generic.has(w))

/** Same institution as far as the names tell: the distinctive words of one all appear in the other. */
export const sameInstitution = (a: string, b: string): boolean => {
  const [x, y] = [distinctive(a), distinctive(b)]
  if (x.length === 0 || y.length === 0) return normaliseText(a) === normaliseText(b)
  const [shorter, longer] = x.length <= y.length ? [x, new Set(y)] : [y, new Set(x)]
  return shorter.every((w) => longer.has(w))
}
