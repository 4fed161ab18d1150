import * as Cheerio from "cheerio"

/**
 * The readable text of a fetched page: what a reader sees, not what the markup carries. No scripts, styles, templates,
 * embedded documents or hidden elements (`hidden`, `aria-hidden="true"`, hidden inputs, inline or top-level stylesheet
 * `display:none`/`visibility:hidden`); whitespace collapsed, one line per block. Hidden text is where injected
 * instructions hide, so dropping it matters as much as keeping the rest.
 *
 * One walk of the parsed tree reads it: elements a stylesheet hides are first matched by their selectors, then
 * skipped like the others (editing the tree instead cost more than parsing the page).
 */
export interface PageText {
  readonly title: string
  readonly text: string
}

const removedNames = new Set(
  "script, style, noscript, template, svg, math, iframe, frame, object, embed, canvas, head".split(", ")
)
const blockNames = new Set(
  "address, article, aside, blockquote, dd, div, dl, dt, fieldset, figcaption, figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, pre, section, table, tr, td, th, ul, caption, summary, details".split(
    ", "
  )
)

const hidingDeclaration = (declarations: string): boolean =>
  declarations
    .toLowerCase()
    .replace(/\s+/g, "")
    .replace(/!important/g, "")
    .split(";")
    .some((d) => d === "display:none" || d === "visibility:hidden" || d === "visibility:collapse")

/** Selectors of top-level stylesheet rules that hide what they match (rules inside @media etc. are ignored). */
const hidingSelectors = (css: string): Array<string> => {
  const source = css.replace(/\/\*[\s\S]*?\*\//g, "")
  const selectors: Array<string> = []
  let i = 0
  while (i < source.length) {
    const open = source.indexOf("{", i)
    if (open < 0) break
    const prelude = source.slice(i, open).trim()
    let depth = 1
    let j = open + 1
    let nested = false
    while (j < source.length && depth > 0) {
      if (source[j] === "{") {
        depth++
        nested = true
      } else if (source[j] === "}") depth--
      j++
    }
    const body = source.slice(open + 1, j - 1)
    if (!nested && !prelude.startsWith("@") && hidingDeclaration(body)) {
      for (const selector of prelude.split(",")) {
        const s = selector.trim()
        if (s.length > 0 && !s.includes(":")) selectors.push(s)
      }
    }
    i = j
  }
  return selectors
}

/** The elements the page's stylesheets hide by selector. */
const stylesheetHidden = ($: Cheerio.CheerioAPI): ReadonlySet<object> => {
  const hidden = new Set<object>()
  for (const selector of $("style")
    .toArray()
    .flatMap((el) => hidingSelectors($(el).text()))) {
    try {
      for (const element of $(selector).toArray()) hidden.add(element)
    } catch {
      // A selector cheerio does not understand hides nothing we can see.
    }
  }
  return hidden
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

/** Marks block boundaries during the walk; a private-use character, so `\s` does not match it. */
const blockBreak = "\uE000"

const collapseBlocks = (text: string): string =>
  text
    .replace(/\s+/g, " ")
    .split(blockBreak)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join("\n")

const collapseLines = (text: string): string =>
  text
    .split("\n")
    .map((line) => line.replace(/[^\S\n]+/g, " ").trim())
    .filter((line) => line.length > 0)
    .join("\n")

/** The subset of a parsed node the walk reads (cheerio's `domhandler` nodes). */
interface DomNode {
  readonly type: string
  readonly name?: string
  readonly data?: string
  readonly attribs?: Record<string, string>
  readonly children?: ReadonlyArray<DomNode>
}

/** Reads a document's text, skipping `hidden` (what the stylesheets hide) besides what markup alone hides. */
const walker = (hidden: ReadonlySet<object>) => {
  /** An element dropped with everything in it: non-content, or hidden by an attribute, its style or a stylesheet. */
  const dropped = (node: DomNode): boolean => {
    const name = node.name
    if (name === undefined) return false
    if (removedNames.has(name) || hidden.has(node)) return true
    const attribs = node.attribs ?? {}
    if ("hidden" in attribs) return true
    if (name === "input" && (attribs.type ?? "").toLowerCase() === "hidden") return true
    if ((attribs["aria-hidden"] ?? "").trim().toLowerCase() === "true") return true
    return attribs.style !== undefined && hidingDeclaration(attribs.style)
  }

  /** The `body` elements left once dropped elements are gone. */
  const bodies = (node: DomNode, found: Array<DomNode>): Array<DomNode> => {
    for (const child of node.children ?? []) {
      if (child.name === undefined || dropped(child)) continue
      if (child.name === "body") found.push(child)
      else bodies(child, found)
    }
    return found
  }

  /** Text content (as cheerio's `text()`), without dropped elements, with a break around blocks and for `<br>`. */
  const collect = (node: DomNode, parts: Array<string>): Array<string> => {
    for (const child of node.children ?? []) {
      if (child.type === "text") parts.push(child.data ?? "")
      else if (child.type === "cdata") collect(child, parts)
      else if (child.name !== undefined && !dropped(child)) {
        if (child.name === "br") parts.push(blockBreak)
        else if (blockNames.has(child.name)) {
          parts.push(blockBreak)
          collect(child, parts)
          parts.push(blockBreak)
        } else collect(child, parts)
      }
    }
    return parts
  }

  /** The text of the visible bodies, or of the whole document when it has none. */
  return (roots: ReadonlyArray<DomNode>): string => {
    const found = roots.flatMap((root) => bodies(root, []))
    const parts: Array<string> = []
    for (const node of found.length > 0 ? found : roots) collect(node, parts)
    return collapseBlocks(parts.join(""))
  }
}

/** The title (`<title>`, else `og:title`, else the first `<h1>`) and readable text of a parsed document. */
const fromDocument = ($: Cheerio.CheerioAPI): PageText => {
  const title =
    collapse($("head > title, title").first().text()) ||
    collapse($('meta[property="og:title"]').attr("content") ?? "") ||
    collapse($("h1").first().text())
  const roots: ReadonlyArray<DomNode> = $.root().toArray()
  return { title, text: walker(stylesheetHidden($))(roots) }
}

export const fromHtml = (html: string): PageText => fromDocument(Cheerio.load(html))

/** An HTML body as sent: decoded by the transport's charset when given, else as the document declares (or UTF-8). */
export const fromHtmlBytes = (body: Buffer, charset: string | null): PageText =>
  fromDocument(
    Cheerio.loadBuffer(body, {
      encoding: { defaultEncoding: "utf-8", ...(charset !== null ? { transportLayerEncodingLabel: charset } : {}) }
    })
  )

const decodeText = (body: Buffer, charset: string | null): string => {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body)
  } catch {
    // An unknown charset label: read it as UTF-8.
    return new TextDecoder("utf-8").decode(body)
  }
}

/** A `text/plain` body: no title; the text's own lines kept, spaces within them collapsed, blank lines dropped. */
export const fromPlainTextBytes = (body: Buffer, charset: string | null): PageText => ({
  title: "",
  text: collapseLines(decodeText(body, charset))
})
