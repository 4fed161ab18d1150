import { Paper } from "@scribe/core/upstream/Paper"
import { Schema } from "effect"
import { XMLParser } from "fast-xml-parser"

/** The arXiv API's Atom feed, read into papers (or the error entry arXiv answers a bad query with). */

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  htmlEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (_name, jpath) =>
    jpath === "feed.entry" ||
    jpath === "feed.entry.author" ||
    jpath === "feed.entry.link" ||
    jpath === "feed.entry.category"
})

/** Text content, whether the element had attributes (`{"#text": …}`) or not. */
const AtomText = Schema.Union(
  Schema.String,
  Schema.transform(Schema.Struct({ "#text": Schema.optional(Schema.String) }), Schema.String, {
    strict: true,
    decode: (node) => node["#text"] ?? "",
    encode: (text) => ({ "#text": text })
  })
)

const Entry = Schema.Struct({
  id: AtomText,
  title: Schema.optionalWith(AtomText, { default: () => "" }),
  summary: Schema.optionalWith(AtomText, { default: () => "" }),
  published: Schema.optionalWith(AtomText, { default: () => "" }),
  author: Schema.optionalWith(Schema.Array(Schema.Struct({ name: AtomText })), { default: () => [] }),
  link: Schema.optionalWith(Schema.Array(Schema.Struct({ href: Schema.String, rel: Schema.optional(Schema.String) })), {
    default: () => []
  })
})

const Feed = Schema.Struct({
  feed: Schema.Struct({
    entry: Schema.optionalWith(Schema.Array(Entry), { default: () => [] })
  })
})
const decodeFeed = Schema.decodeUnknownEither(Feed)

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

export type Parsed =
  | { readonly _tag: "Papers"; readonly papers: ReadonlyArray<Paper> }
  | { readonly _tag: "ApiError"; readonly message: string }
  | { readonly _tag: "Malformed"; readonly message: string }

/** Reads an arXiv Atom feed: papers newest first as given, or arXiv's error entry. */
export const parseFeed = (xml: string): Parsed => {
  let document: unknown
  try {
    document = parser.parse(xml, true)
  } catch (error) {
    return { _tag: "Malformed", message: `not XML: ${String(error).slice(0, 200)}` }
  }
  const decoded = decodeFeed(document)
  if (decoded._tag === "Left") return { _tag: "Malformed", message: "not an Atom feed" }
  const papers: Array<Paper> = []
  for (const entry of decoded.right.feed.entry) {
    const id = entry.id.trim()
    if (id.includes("/api/errors")) return { _tag: "ApiError", message: collapse(entry.summary) || "arXiv API error" }
    const match = /arxiv\.org\/abs\/(.+)$/.exec(id)
    const published = new Date(entry.published.trim())
    if (match === null || Number.isNaN(published.getTime())) continue
    const alternate = entry.link.find((l) => l.rel === "alternate")
    papers.push(
      new Paper({
        id: match[1]!,
        title: collapse(entry.title),
        authors: entry.author.map((a) => collapse(a.name)).filter((n) => n.length > 0),
        summary: collapse(entry.summary),
        published,
        url: alternate?.href ?? id
      })
    )
  }
  return { _tag: "Papers", papers }
}
