/**
 * What an email's `metadata` says about how it was written, read defensively: the contract types it as a record of
 * unknown values, and older emails may lack newer keys.
 */

export interface Paper {
  readonly title: string
  readonly url: string | null
  readonly published: string | null
  readonly authors: ReadonlyArray<string>
  readonly cited: boolean
}

export interface Check {
  readonly name: string
  readonly passed: boolean
  readonly problems: ReadonlyArray<string>
}

export interface Evidence {
  readonly composer: string | null
  readonly composerLabel: string | null
  readonly papers: ReadonlyArray<Paper>
  readonly facts: ReadonlyArray<{ readonly statement: string; readonly source: string | null }>
  readonly sources: ReadonlyArray<string>
  readonly checks: ReadonlyArray<Check>
  readonly regenerations: number | null
  readonly confident: boolean | null
  readonly confidenceReason: string | null
  readonly warnings: ReadonlyArray<string>
  readonly stepTimings: ReadonlyArray<readonly [string, number]>
  readonly generationTime: number | null
  readonly tokens: { readonly prompt: number; readonly completion: number; readonly total: number } | null
  readonly models: ReadonlyArray<readonly [string, string]>
  readonly costUsd: number | null
  readonly counts: ReadonlyArray<readonly [string, number]>
}

type Rec = Readonly<Record<string, unknown>>
const rec = (u: unknown): Rec => (typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Rec) : {})
const arr = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])
const str = (u: unknown): string | null => (typeof u === "string" ? u : null)
const num = (u: unknown): number | null => (typeof u === "number" && Number.isFinite(u) ? u : null)
const strings = (u: unknown): ReadonlyArray<string> => arr(u).flatMap((x) => (typeof x === "string" ? [x] : []))

/** Only http(s) links are shown as links: a stored URL is data from the web, never a `javascript:` to click. */
export const safeLink = (url: string | null): string | null => {
  if (url === null) return null
  try {
    const u = new URL(url)
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null
  } catch {
    return null
  }
}

export const stepOrder = ["template_parser", "web_scraper", "arxiv_helper", "email_composer"] as const

export const stepLabels: Record<string, string> = {
  template_parser: "Reading the template",
  web_scraper: "Researching the web",
  arxiv_helper: "Finding their papers",
  email_composer: "Writing the email"
}

const countLabels: Record<string, string> = {
  search_hits: "Search results",
  pages_fetched: "Pages read",
  pages_failed: "Pages that failed",
  facts: "Facts found",
  papers_found: "Papers found",
  papers_verified: "Papers verified as theirs",
  papers_excluded_not_author: "Papers excluded: not an author",
  papers_excluded_too_old: "Papers excluded: too old",
  papers_excluded_irrelevant: "Papers excluded: off-topic",
  papers_excluded_namesake: "Papers excluded: someone else by that name"
}

export const checkLabels: Record<string, string> = {
  no_placeholders: "Every placeholder filled",
  papers_grounded: "Every paper named is a real one of theirs",
  links_grounded: "Links and addresses only from the sources",
  length: "A sensible length",
  nothing_to_fill_in: "Nothing left for you to fill in"
}

export const evidenceOf = (metadata: Rec): Evidence => {
  const cited = new Set(strings(metadata.papers_cited))
  const checks = rec(metadata.checks)
  const confidence = rec(metadata.confidence)
  const totals = rec(rec(metadata.token_usage).totals)
  const timings = rec(metadata.step_timings)
  const counts = rec(metadata.evidence)
  const prompt = num(totals.prompt_tokens)
  const completion = num(totals.completion_tokens)
  return {
    composer: str(metadata.composer),
    composerLabel: str(metadata.composer_label),
    papers: arr(metadata.papers_used).map((p) => {
      const paper = rec(p)
      const title = str(paper.title) ?? "(untitled)"
      return {
        title,
        url: safeLink(str(paper.url)),
        published: str(paper.published),
        authors: strings(paper.authors),
        cited: cited.has(title)
      }
    }),
    facts: arr(metadata.facts_used).map((f) => {
      const fact = rec(f)
      return { statement: str(fact.statement) ?? "", source: str(fact.source_url) }
    }),
    sources: strings(metadata.sources),
    checks: arr(checks.results).map((c) => {
      const check = rec(c)
      return { name: str(check.check) ?? "check", passed: check.passed === true, problems: strings(check.problems) }
    }),
    regenerations: num(checks.regenerations),
    confident: typeof confidence.is_confident === "boolean" ? confidence.is_confident : null,
    confidenceReason: str(confidence.reason),
    warnings: strings(metadata.warnings),
    stepTimings: stepOrder.flatMap((s) => {
      const t = num(timings[s])
      return t === null ? [] : [[s, t] as const]
    }),
    generationTime: num(metadata.generation_time),
    tokens:
      prompt === null && completion === null
        ? null
        : {
            prompt: prompt ?? 0,
            completion: completion ?? 0,
            total: num(totals.total_tokens) ?? (prompt ?? 0) + (completion ?? 0)
          },
    models: Object.entries(rec(metadata.models)).flatMap(([step, model]) =>
      typeof model === "string" ? [[step, model] as const] : []
    ),
    costUsd: num(metadata.cost_usd),
    counts: Object.entries(countLabels).flatMap(([key, label]) => {
      const n = num(counts[key])
      return n === null ? [] : [[label, n] as const]
    })
  }
}

export const seconds = (s: number): string => (s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`)

export const usd = (n: number): string => (n === 0 ? "$0" : n < 0.01 ? `$${n.toFixed(5)}` : `$${n.toFixed(2)}`)
