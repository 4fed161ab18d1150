/**
 * The simulated world's people as OpenAlex and Semantic Scholar hold them: authors with their institutions and
 * works, the works being the person's arXiv papers (these sources index arXiv) and their other articles. Shared by
 * `FakeOpenAlex` and `FakeSemanticScholar`, which shape the records as their APIs do.
 */
import { createHash } from "node:crypto"
import type { ArxivEntry } from "./FakeArxiv"
import type * as LocalServer from "./LocalServer"
import type { Institution, Person, ScholarProfile } from "./People"

/** What a fake scholarly API (OpenAlex, Semantic Scholar) lets a test see and steer. */
export interface ScholarlyFake extends LocalServer.LocalServer {
  /** What the adapter's base-URL setting should be. */
  readonly url: string
  readonly apiKey: string
  /** Requests answered (not refused for the key or the rate). */
  readonly accepted: () => ReadonlyArray<LocalServer.LoggedRequest>
  readonly throttled: () => ReadonlyArray<LocalServer.LoggedRequest>
  /** Makes every answer fail with this status (null: back to normal). */
  readonly setFailure: (status: number | null) => void
  readonly reset: () => void
}

export interface WorkAuthor {
  readonly name: string
  /** The person's key when the author is a person of the world (so the source can give their ids). */
  readonly person: string | null
  readonly institution: Institution | null
}

export interface WorkRecord {
  /** A stable key (the arXiv id without version, or the DOI). */
  readonly key: string
  readonly title: string
  /** Lower case, no prefix. */
  readonly doi: string | null
  readonly arxivId: string | null
  /** `YYYY-MM-DD`. */
  readonly published: string
  readonly venue: string
  readonly summary: string
  readonly authors: ReadonlyArray<WorkAuthor>
}

export interface AuthorRecord {
  readonly person: Person
  readonly profile: ScholarProfile
  readonly works: ReadonlyArray<WorkRecord>
}

const sentenceCase = (title: string) => {
  const lower = title.toLowerCase()
  return lower.charAt(0).toUpperCase() + lower.slice(1)
}

const authorName = (author: ArxivEntry["authors"][number]) => (typeof author === "string" ? author : author.name)

const fromArxiv = (person: Person, profile: ScholarProfile, entry: ArxivEntry): WorkRecord => {
  const arxivId = entry.id.replace(/v\d+$/, "")
  const links = profile.arxivLinks ?? true
  return {
    key: `arxiv:${arxivId}`,
    title: profile.titleCase === "sentence" ? sentenceCase(entry.title) : entry.title,
    doi: entry.doi?.toLowerCase() ?? (links ? `10.48550/arxiv.${arxivId}` : null),
    arxivId: links ? arxivId : null,
    published: entry.published.slice(0, 10),
    venue: links ? "arXiv (Cornell University)" : "Testkit Transactions",
    summary: entry.summary.replace(/\s+/g, " ").trim(),
    authors: entry.authors.map((a) => {
      const name = authorName(a)
      const own = name === person.name
      return { name, person: own ? person.key : null, institution: own ? profile.institution : null }
    })
  }
}

/** Every person the sources know, with their works; `known` picks the source's people (by the id it has for them). */
export const records = (
  people: ReadonlyArray<Person>,
  known: (profile: ScholarProfile) => boolean
): ReadonlyArray<AuthorRecord> =>
  people.flatMap((person) => {
    const profile = person.scholar
    if (profile === undefined || !known(profile)) return []
    const missing = new Set(profile.missingArxiv ?? [])
    const works: Array<WorkRecord> = [
      ...person.papers.filter((p) => !missing.has(p.id.replace(/v\d+$/, ""))).map((p) => fromArxiv(person, profile, p)),
      ...profile.works.map(
        (w): WorkRecord => ({
          key: `doi:${w.doi.toLowerCase()}`,
          title: w.title,
          doi: w.doi.toLowerCase(),
          arxivId: null,
          published: w.published,
          venue: w.venue,
          summary: w.summary,
          authors: [
            { name: person.name, person: person.key, institution: profile.institution },
            ...(w.coauthors ?? []).map((name) => ({ name, person: null, institution: null }))
          ]
        })
      )
    ]
    return [{ person, profile, works: works.sort((a, b) => b.published.localeCompare(a.published)) }]
  })

/** Lower case, accents folded, punctuation as spaces: how the simulated sources compare names. */
export const normalise = (text: string): string =>
  text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()

export const words = (text: string): ReadonlyArray<string> => normalise(text).split(" ").filter(Boolean)

/** A stable number for ids derived from text. */
export const stableNumber = (text: string, digits: number): string => {
  const hex = createHash("sha1").update(text).digest("hex")
  return (BigInt(`0x${hex.slice(0, 15)}`) % 10n ** BigInt(digits)).toString().padStart(digits, "1")
}

export const sha1 = (text: string): string => createHash("sha1").update(text).digest("hex")

/**
 * Requests allowed per (scaled) second: a request beyond `limit` in the trailing window is refused; `wait` is how
 * long until the oldest one leaves it.
 */
export const rateWindow = (limit: number, windowMs: number) => {
  const times: Array<number> = []
  return {
    admit: (at: number): { readonly ok: true } | { readonly ok: false; readonly waitMs: number } => {
      while (times.length > 0 && at - times[0]! >= windowMs) times.shift()
      if (limit > 0 && times.length >= limit) return { ok: false, waitMs: windowMs - (at - times[0]!) }
      times.push(at)
      return { ok: true }
    },
    reset: () => {
      times.length = 0
    }
  }
}
