/** Person names: titles stripped for queries and greetings, and author matching that tells homonyms apart. */

const titlePrefix =
  /^(?:(?:assistant|associate|assoc\.?|asst\.?|adjunct|visiting|emeritus|emerita|full)\s+)*(?:dr|doctor|prof|professor|mr|mrs|ms|mx|miss|sir|dame|rev)\b\.?\s*/i
const titleSuffix = /[\s,]+(?:ph\.?\s?d|d\.?\s?phil|m\.?\s?sc|b\.?\s?sc|msc|mba|frs|esq)\.?$/i
/**
 * MA and MD are also names (Wei Ma): as degrees they need their dots (`M.A.`), capitals (`MA`) or a comma before them
 * (`, ma`).
 */
const nameLikeDegree = /(?:,\s*[mM]\.?\s?[aAdD]\.?|\s+(?:[mM]\.\s?[aAdD]\.?|M[AD]))$/
const generational = new Set(["jr", "sr", "ii", "iii", "iv"])
const particles = new Set([
  "van",
  "von",
  "der",
  "den",
  "de",
  "del",
  "della",
  "di",
  "da",
  "dos",
  "das",
  "du",
  "la",
  "le",
  "ten",
  "ter",
  "bin",
  "ibn",
  "al",
  "el"
])

/** Letters that Unicode does not decompose into a base letter plus a mark. */
const foldExtra: Readonly<Record<string, string>> = {
  ß: "ss",
  ø: "o",
  Ø: "O",
  ł: "l",
  Ł: "L",
  đ: "d",
  Đ: "D",
  æ: "ae",
  Æ: "AE",
  œ: "oe",
  Œ: "OE",
  ı: "i",
  þ: "th"
}

/** Removes accents (é → e, ø → o) keeping case. */
export const foldAccents = (text: string): string =>
  text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/[ßøØłŁđĐæÆœŒıþ]/g, (c) => foldExtra[c] ?? c)

/** Lower case, no accents, punctuation as spaces, whitespace collapsed: the form texts are compared in. */
export const normaliseText = (text: string): string =>
  foldAccents(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()

/** The name without academic or courtesy titles and degrees; empty when it was nothing else (`Prof.`). */
export const withoutTitles = (name: string): string => {
  let rest = name.replace(/["“”]/g, "").replace(/\s+/g, " ").trim()
  for (let previous = ""; previous !== rest; ) {
    previous = rest
    rest = rest.replace(titlePrefix, "").replace(titleSuffix, "").replace(nameLikeDegree, "").trim()
  }
  return rest.replace(/,\s*$/, "").trim()
}

/**
 * The name without academic or courtesy titles and degrees: `Prof. Dr. Ada Lovelace, PhD` → `Ada Lovelace`. A name
 * that is nothing but titles is kept as written.
 */
export const stripTitles = (name: string): string => withoutTitles(name) || name.trim()

export interface PersonName {
  /** Given names and initials in order, normalised (`Jean-Pierre M.` → `jean`, `pierre`, `m`). */
  readonly given: ReadonlyArray<string>
  /** The family name normalised with spaces and particles joined (`van der Berg` → `vanderberg`). */
  readonly family: string
}

/** `JP` written as initials (two or three capitals) stands for `J. P.`. */
const splitInitials = (token: string): ReadonlyArray<string> =>
  /^\p{Lu}{2,3}$/u.test(token) ? token.split("") : [token]

/** Words with accents folded and punctuation dropped, case kept (for initials) and generational suffixes removed. */
const words = (text: string): ReadonlyArray<string> =>
  foldAccents(text)
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .split(" ")
    .filter((t) => t.length > 0 && !generational.has(t.toLowerCase()))

const givenNames = (ws: ReadonlyArray<string>) => ws.flatMap(splitInitials).map((t) => t.toLowerCase())
const familyName = (ws: ReadonlyArray<string>) => ws.join("").toLowerCase()

/** Parsed names, remembered: author matching compares the same few names with every paper's authors. */
const parsed = new Map<string, PersonName>()

/** Parses `First M. Last`, `F. Last`, `Last, First` (titles stripped first). */
export const parsePersonName = (raw: string): PersonName => {
  const known = parsed.get(raw)
  if (known !== undefined) return known
  const name = parseUncached(raw)
  if (parsed.size >= 10_000) parsed.clear()
  parsed.set(raw, name)
  return name
}

const parseUncached = (raw: string): PersonName => {
  const name = stripTitles(raw)
  const comma = name.indexOf(",")
  if (comma > 0) {
    const family = words(name.slice(0, comma))
    const given = words(name.slice(comma + 1))
    if (family.length > 0 && given.length > 0) return { given: givenNames(given), family: familyName(family) }
  }
  const all = words(name)
  if (all.length <= 1) return { given: [], family: familyName(all) }
  let start = all.length - 1
  while (start > 1 && particles.has((all[start - 1] ?? "").toLowerCase())) start--
  return { given: givenNames(all.slice(0, start)), family: familyName(all.slice(start)) }
}

const compatible = (a: string, b: string): boolean => (a.length === 1 || b.length === 1 ? a[0] === b[0] : a === b)

/**
 * True when `author` (as a paper lists it) can be the person `recipient`: same family name, same first name (or a
 * matching initial), and middle names that do not contradict. A recipient given by surname alone matches nobody,
 * because nothing would tell them apart from a homonym.
 */
export const isSameAuthor = (recipient: string, author: string): boolean => {
  const r = parsePersonName(recipient)
  const a = parsePersonName(author)
  if (r.family === "" || r.family !== a.family) return false
  const [rFirst, ...rMiddle] = r.given
  const [aFirst, ...aMiddle] = a.given
  if (rFirst === undefined || aFirst === undefined || !compatible(rFirst, aFirst)) return false
  return rMiddle.every((m, i) => {
    const other = aMiddle[i]
    return other === undefined || compatible(m, other)
  })
}

/** The first given name as written (titles stripped), for `{{first_name}}`. */
export const firstName = (raw: string): string => {
  const name = stripTitles(raw)
  const comma = name.indexOf(",")
  if (comma > 0)
    return (
      name
        .slice(comma + 1)
        .trim()
        .split(/\s+/)[0] ?? name
    )
  return name.split(/\s+/)[0] ?? name
}

/** The family name as written (titles stripped), for `{{last_name}}`. */
export const lastName = (raw: string): string => {
  const name = stripTitles(raw)
  const comma = name.indexOf(",")
  if (comma > 0) return name.slice(0, comma).trim()
  const parts = name.split(/\s+/).filter((w) => !generational.has(normaliseText(w)))
  let start = parts.length - 1
  while (start > 1 && particles.has(normaliseText(parts[start - 1] ?? ""))) start--
  return parts.slice(start).join(" ") || name
}
