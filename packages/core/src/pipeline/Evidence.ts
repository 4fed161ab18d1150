import { Schema } from "effect"
import type { Paper } from "../upstream/Paper"

/** A statement about the recipient and the page it was read on. */
export const Fact = Schema.Struct({
  statement: Schema.String,
  sourceUrl: Schema.String
})
export type Fact = typeof Fact.Type

/** The structured reply asked of the model for `web_scraper` (schema name `web_facts`). */
export const FactsReply = Schema.Struct({ facts: Schema.Array(Fact) })
export type FactsReply = typeof FactsReply.Type

/** What research found and verified about one recipient; the only material an email may cite. */
export interface Evidence {
  /** Papers the recipient really wrote (author-verified, recent, relevant), best first. */
  readonly papers: ReadonlyArray<Paper>
  /** Facts whose source is a page or search result this job actually saw. */
  readonly facts: ReadonlyArray<Fact>
}

/** Compares URLs as the same resource: no fragment, no trailing slash, lower-case scheme and host. */
export const canonicalUrl = (url: string): string => {
  try {
    const u = new URL(url.trim())
    u.hash = ""
    const path = u.pathname.length > 1 ? u.pathname.replace(/\/+$/, "") : ""
    return `${u.protocol}//${u.host}${path}${u.search}`
  } catch {
    return url.trim()
  }
}

/** The host of a URL without a leading `www.`; `null` when it does not parse. */
export const hostOf = (url: string): string | null => {
  try {
    const host = new URL(url.includes("://") ? url : `http://${url}`).hostname.toLowerCase()
    return host.replace(/^www\./, "").replace(/\.$/, "") || null
  } catch {
    return null
  }
}
