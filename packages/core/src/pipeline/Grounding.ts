/**
 * Deterministic checks on a drafted email: nothing in it may come from outside the evidence. Pure functions, so the
 * composer can regenerate with the reasons and the last resort (sanitising) is predictable.
 */

import { placeholders } from "../templates/Template"
import { arxivIdOf } from "../upstream/Paper"
import { type Evidence, hostOf } from "./Evidence"
import { normaliseText } from "./Names"

export type CheckName = "no_placeholders" | "papers_grounded" | "links_grounded" | "length" | "nothing_to_fill_in"

/** What the deterministic composer writes where it has no evidence for a placeholder: `[[fill in: paper title]]`. */
export const fillInMarker = (what: string): string => `[[fill in: ${what}]]`
const fillInPattern = /\[\[fill in: ([^\]]+)\]\]/g

/** The things an email leaves for the sender to fill in, in order. */
export const fillInMarkers = (email: string): ReadonlyArray<string> =>
  Array.from(email.matchAll(fillInPattern), (m) => m[1] ?? "")

export interface CheckResult {
  readonly check: CheckName
  readonly passed: boolean
  readonly problems: ReadonlyArray<string>
}

export interface GroundingContext {
  readonly evidence: Evidence
  readonly template: string
  readonly recipientName: string
  readonly interest: string
  readonly minLength: number
  readonly maxLength: number
}

/** A span of the email: its text and where it starts. */
export interface Span {
  readonly text: string
  readonly index: number
}

const connectors = new Set(
  "a an the of for and in on with to via from by at as or vs is are into over under towards toward through without within using".split(
    " "
  )
)

const wordsOf = (text: string) => text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w))

/** Quoted text reads as a title when it has a colon, four or more words, or is mostly Title Cased (2+ words). */
export const isTitleLike = (text: string): boolean => {
  const words = wordsOf(text)
  if (words.length < 2) return false
  if (text.includes(":") || words.length >= 4) return true
  const significant = words.filter((w) => !connectors.has(w.toLowerCase()))
  const capitalised = significant.filter((w) => /^[\p{Lu}\p{N}]/u.test(w))
  return capitalised.length >= 2 && capitalised.length * 2 >= significant.length
}

const quotePatterns: ReadonlyArray<RegExp> = [
  /"([^"\n]{2,300})"/g,
  /“([^”\n]{2,300})”/g,
  /‘([^’\n]{2,300})’/g,
  /«([^»\n]{2,300})»/g,
  /(?<!\*)\*{1,2}([^*\n]{2,300})\*{1,2}(?!\*)/g
]

/** A run of Title Cased words (connectors allowed inside) at the start of `text`. */
const titleCaseRun = (text: string): string => {
  const run: Array<string> = []
  for (const raw of text.split(/\s+/)) {
    const word = raw.replace(/[.,;!?)]+$/, "")
    const ok = /^[\p{Lu}\p{N}]/u.test(word) || (run.length > 0 && connectors.has(word.toLowerCase()))
    if (!ok || word === "") break
    run.push(word)
    if (word !== raw) break
  }
  while (run.length > 0 && connectors.has((run[run.length - 1] ?? "").toLowerCase())) run.pop()
  return run.join(" ")
}

const titledCue = /\b(?:titled|entitled|called)\s+(?=[\p{Lu}\p{N}])/giu
const workCue = /\b(?:paper|article|preprint|publication|book|monograph|chapter|essay)\s+(?=[\p{Lu}\p{N}])/giu

/**
 * Mentions that read as a work's title: quoted title-like text ("…", “…”, ‘…’, «…», *…*), and unquoted Title Cased
 * runs after "titled/entitled/called" (2+ words) or right after "paper/article/book/…" (3+ words).
 */
export const titleMentions = (email: string): ReadonlyArray<Span> => {
  const found: Array<Span> = []
  for (const pattern of quotePatterns) {
    for (const m of email.matchAll(pattern)) {
      const inner = m[1] ?? ""
      if (isTitleLike(inner)) found.push({ text: inner.trim(), index: m.index })
    }
  }
  const cued = (pattern: RegExp, minWords: number) => {
    for (const m of email.matchAll(pattern)) {
      const start = m.index + m[0].length
      const run = titleCaseRun(email.slice(start, start + 300))
      const words = wordsOf(run)
      const capitals = words.filter((w) => /^[\p{Lu}\p{N}]/u.test(w)).length
      if (words.length >= minWords && capitals >= 2) found.push({ text: run, index: start })
    }
  }
  cued(titledCue, 2)
  cued(workCue, 3)
  const seen = new Set<string>()
  return found.filter((s) => {
    const key = normaliseText(s.text)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const arxivIdPattern =
  /arxiv(?:\.org\/(?:abs|pdf)\/|\s*:\s*|\s+)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?\/\d{7})(?:v\d+)?/gi

/** arXiv identifiers mentioned as `arXiv:2301.01234`, `arXiv 2301.01234` or in an arxiv.org link. */
export const arxivMentions = (email: string): ReadonlyArray<Span> =>
  Array.from(email.matchAll(arxivIdPattern), (m) => ({ text: (m[1] ?? "").toLowerCase(), index: m.index }))

export interface Link extends Span {
  readonly kind: "url" | "email"
  readonly host: string | null
}

const emailPattern = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}/gu
const urlPattern = /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]{}]+/gi
const bareDomainPattern =
  /(?<![@\w./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|edu|gov|io|ai|co|uk|de|fr|nl|ch|ca|au|info|dev|app|xyz|me|ly|us|eu|site|online|example|test|invalid|local)(?:\/[^\s<>"'()[\]{}]*)?(?![\w-])/gi

const trimTrailing = (text: string) => text.replace(/[.,;:!?]+$/, "")

/** URLs (with or without a scheme, bare domains with common suffixes) and email addresses in the text. */
export const linkMentions = (text: string): ReadonlyArray<Link> => {
  const found: Array<Link> = []
  let rest = text
  const scan = (pattern: RegExp, kind: Link["kind"]) => {
    for (const m of rest.matchAll(pattern)) {
      const raw = trimTrailing(m[0])
      const host = kind === "email" ? (raw.split("@")[1] ?? "").toLowerCase() : hostOf(raw)
      found.push({ kind, text: raw, index: m.index, host })
    }
    rest = rest.replace(pattern, (s) => " ".repeat(s.length))
  }
  scan(emailPattern, "email")
  scan(urlPattern, "url")
  scan(bareDomainPattern, "url")
  return found.sort((a, b) => a.index - b.index)
}

/** Hosts the evidence came from, plus those the sender wrote into the template themselves. */
export const allowedHosts = (ctx: GroundingContext): ReadonlySet<string> => {
  const hosts = [
    ...ctx.evidence.facts.map((f) => hostOf(f.sourceUrl)),
    ...ctx.evidence.papers.map((p) => hostOf(p.url)),
    ...linkMentions(ctx.template).map((l) => l.host)
  ]
  return new Set(hosts.filter((h): h is string => h !== null && h.length > 0))
}

/** Same host, or one inside the other (`cs.uni.edu` and `uni.edu`), never a bare suffix like `edu`. */
export const hostAllowed = (host: string | null, allowed: ReadonlySet<string>): boolean => {
  if (host === null) return false
  for (const a of allowed) {
    if (host === a) return true
    const [inner, outer] = host.length > a.length ? [host, a] : [a, host]
    if (outer.includes(".") && inner.endsWith(`.${outer}`)) return true
  }
  return false
}

const padded = (text: string) => ` ${normaliseText(text)} `

/** A mention is grounded when it is (part of) a verified paper's title or appears in a fact, the template or the request. */
export const titleGrounded = (mention: string, ctx: GroundingContext): boolean => {
  const m = padded(mention)
  if (m.trim() === "") return true
  for (const p of ctx.evidence.papers) {
    const t = padded(p.title)
    if (t.includes(m) || (wordsOf(p.title).length >= 3 && m.includes(t))) return true
  }
  const others = [...ctx.evidence.facts.map((f) => f.statement), ctx.template, ctx.interest, ctx.recipientName]
  return others.some((o) => padded(o).includes(m))
}

const baseArxivId = (id: string) => id.toLowerCase().replace(/v\d+$/, "")

const ungroundedTitles = (email: string, ctx: GroundingContext): ReadonlyArray<Span> => {
  const ids = new Set(ctx.evidence.papers.flatMap((p) => arxivIdOf(p) ?? []))
  return [
    ...titleMentions(email).filter((s) => !titleGrounded(s.text, ctx)),
    ...arxivMentions(email).filter((s) => !ids.has(baseArxivId(s.text)))
  ]
}

const ungroundedLinks = (email: string, ctx: GroundingContext): ReadonlyArray<Link> => {
  const allowed = allowedHosts(ctx)
  const literal = new Set(linkMentions(ctx.template).map((l) => l.text.toLowerCase()))
  return linkMentions(email).filter((l) => !literal.has(l.text.toLowerCase()) && !hostAllowed(l.host, allowed))
}

const result = (check: CheckName, problems: ReadonlyArray<string>): CheckResult => ({
  check,
  passed: problems.length === 0,
  problems
})

/** Runs every check on a draft. */
export const checkEmail = (email: string, ctx: GroundingContext): ReadonlyArray<CheckResult> => {
  const left = placeholders(email).map((p) => `{{${p}}}`)
  const stray = left.length === 0 && /\{\{|\}\}/.test(email) ? ["unbalanced {{ or }}"] : []
  const length = email.trim().length
  return [
    result("no_placeholders", [...left.map((p) => `placeholder ${p} was not filled`), ...stray]),
    result(
      "papers_grounded",
      ungroundedTitles(email, ctx).map((s) => `"${s.text}" is not one of the recipient's verified papers or facts`)
    ),
    result(
      "links_grounded",
      ungroundedLinks(email, ctx).map(
        (l) => `${l.kind === "email" ? "email address" : "link"} ${l.text} is not from a source`
      )
    ),
    result(
      "length",
      length < ctx.minLength
        ? [`the email is too short (${length} characters, at least ${ctx.minLength})`]
        : length > ctx.maxLength
          ? [`the email is too long (${length} characters, at most ${ctx.maxLength})`]
          : []
    ),
    result(
      "nothing_to_fill_in",
      fillInMarkers(email).map((what) => `the ${what} is left to fill in: nothing found could go there`)
    )
  ]
}

export const allPassed = (results: ReadonlyArray<CheckResult>): boolean => results.every((r) => r.passed)

/** The failed checks as sentences, for the regeneration prompt and the stored metadata. */
export const failureReasons = (results: ReadonlyArray<CheckResult>): ReadonlyArray<string> =>
  results.flatMap((r) => r.problems)

const abbreviation =
  /(?:^|[\s(])(?:\p{L}|(?:\p{L}\.)+\p{L}|dr|mr|mrs|ms|mx|st|prof|dept|univ|approx|assoc|vol|fig|vs|al)$/iu

/** The bounds of the sentence holding `[start, end)`: back to the previous sentence end or line break. */
const sentenceAround = (text: string, start: number, end: number): readonly [number, number] => {
  let from = 0
  for (const m of text.slice(0, start).matchAll(/[.!?](?=\s)|\n/g)) {
    if (m[0] === "\n" || !abbreviation.test(text.slice(Math.max(0, m.index - 12), m.index))) from = m.index + 1
  }
  const after = /[.!?](?=\s|$)|\n/g
  after.lastIndex = end
  let stop = after.exec(text)
  while (stop !== null && stop[0] !== "\n" && abbreviation.test(text.slice(Math.max(0, stop.index - 12), stop.index))) {
    stop = after.exec(text)
  }
  const to = stop === null ? text.length : stop[0] === "\n" ? stop.index : stop.index + 1
  return [from, to]
}

const tidy = (text: string) =>
  text
    .replace(/\(\s*\)|<\s*>|\[\s*\]/g, "")
    .replace(/[ \t]+([.,;:!?])/g, "$1")
    .replace(/[ \t]{2,}/g, " ")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()

/**
 * The last resort when regeneration is exhausted: drops each sentence citing an ungrounded title or arXiv id or
 * carrying a foreign link or address, and fills leftover placeholders with `fill`. The result is flagged, never
 * confident.
 */
export const sanitise = (email: string, ctx: GroundingContext, fill: (placeholder: string) => string): string => {
  const offending: ReadonlyArray<Span> = [...ungroundedTitles(email, ctx), ...ungroundedLinks(email, ctx)]
  const ranges = offending
    .map((s) => sentenceAround(email, s.index, s.index + s.text.length))
    .sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const [from, to] of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  let text = email
  for (const [from, to] of merged.reverse()) text = text.slice(0, from) + text.slice(to)
  return tidy(text.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_, name: string) => fill(name)))
}
