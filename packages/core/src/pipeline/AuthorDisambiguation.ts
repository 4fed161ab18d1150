/**
 * Which of the authors the scholarly sources list under the recipient's name is the recipient. Pure functions.
 *
 * Candidates whose name does not match are dropped; the rest are grouped into identities (the same ORCID iD, or a
 * work both list). arXiv has no identities: each of its papers joins the identity that lists it too, and the others
 * stay "name-only". Then, in order: an ORCID iD the recipient's page shows decides; an identity at an institution
 * other than the one the web pages name is a namesake and is never cited; of the rest, the one at that institution,
 * else the only one whose topics or works touch the interest, is chosen; otherwise the ambiguity is unresolved and
 * nothing is cited. Name-only papers are cited only when there is no identity to choose from, or when they can belong
 * to nobody else (the sources know one author of that name).
 */
import type { Paper, PaperSource } from "../upstream/Paper"
import { AuthorCandidate } from "../upstream/ScholarlySource"
import { isSameAuthor } from "./Names"
import { mergePapers, paperKeys } from "./PaperMerge"
import { terms } from "./PaperSelection"
import { sameInstitution, type WebClues } from "./WebClues"

export type Verdict = "chosen" | "elsewhere" | "not_told_apart" | "other"

export interface Identity {
  /** The candidates that are one person, best source first. */
  readonly members: ReadonlyArray<AuthorCandidate>
  readonly nameOnly: boolean
  readonly affiliations: ReadonlyArray<string>
  readonly orcids: ReadonlyArray<string>
  readonly works: ReadonlyArray<Paper>
  /** Where the web pages place the recipient, against this identity's institutions. */
  readonly institution: "match" | "elsewhere" | "unknown"
  readonly orcidMatch: boolean
  /** Interest terms found in its topics and works. */
  readonly topicOverlap: number
}

export interface AuthorDecision {
  readonly status: "resolved" | "ambiguous" | "unknown"
  readonly chosen: Identity | null
  /** The papers that may be cited: the chosen identity's works, merged across sources. */
  readonly works: ReadonlyArray<Paper>
  /** In plain words, for the metadata (and the confidence reason when unresolved). */
  readonly reason: string
  readonly identities: ReadonlyArray<{ readonly identity: Identity; readonly verdict: Verdict }>
}

const labels: Record<PaperSource, string> = {
  openalex: "OpenAlex",
  semantic_scholar: "Semantic Scholar",
  arxiv: "arXiv"
}

const namedLike = (recipient: string, c: AuthorCandidate) =>
  c.nameOnly || [c.name, ...c.alternativeNames].some((n) => n !== "" && isSameAuthor(recipient, n))

/** The candidates grouped into identities; name-only works go to the identity that lists them too. */
export const identities = (
  recipient: string,
  candidates: ReadonlyArray<AuthorCandidate>
): { readonly identified: ReadonlyArray<ReadonlyArray<AuthorCandidate>>; readonly nameOnly: ReadonlyArray<Paper> } => {
  const named = candidates.filter((c) => namedLike(recipient, c))
  const ids = named.filter((c) => !c.nameOnly)
  const parent = ids.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i]!
    return i
  }
  const owner = new Map<string, number>()
  ids.forEach((c, i) => {
    const keys = [
      `id:${c.source}:${c.id}`,
      ...(c.orcid === null ? [] : [`orcid:${c.orcid.toUpperCase()}`]),
      ...c.works.flatMap(paperKeys)
    ]
    for (const key of keys) {
      const j = owner.get(key)
      if (j === undefined) owner.set(key, i)
      else parent[find(i)] = find(j)
    }
  })
  const groups = new Map<number, Array<AuthorCandidate>>()
  ids.forEach((c, i) => {
    groups.set(find(i), [...(groups.get(find(i)) ?? []), c])
  })
  const identified = [...groups.values()]
  const byKey = new Map<string, number>()
  identified.forEach((group, g) => {
    for (const c of group) for (const w of c.works) for (const k of paperKeys(w)) byKey.set(k, g)
  })
  const adopted = identified.map((): Array<Paper> => [])
  const nameOnly: Array<Paper> = []
  const loose = named.filter((c) => c.nameOnly)
  for (const work of loose.flatMap((c) => c.works)) {
    if (!work.authors.some((a) => isSameAuthor(recipient, a))) continue
    const g = paperKeys(work)
      .map((k) => byKey.get(k))
      .find((x) => x !== undefined)
    if (g === undefined) nameOnly.push(work)
    else adopted[g]!.push(work)
  }
  const base = loose[0]
  return {
    identified: identified.map((group, g) =>
      base === undefined || adopted[g]!.length === 0
        ? group
        : [...group, new AuthorCandidate({ ...base, works: adopted[g]! })]
    ),
    nameOnly
  }
}

const describe = (identity: Identity) => {
  const first = identity.members[0]!
  const where = identity.affiliations[0]
  return `${first.name}${where === undefined ? "" : ` (${where})`}`
}

const assess = (
  members: ReadonlyArray<AuthorCandidate>,
  nameOnly: boolean,
  works: ReadonlyArray<Paper>,
  interest: ReadonlySet<string>,
  clues: WebClues
): Identity => {
  const affiliations = [...new Set(members.flatMap((m) => m.affiliations))]
  const orcids = [...new Set(members.flatMap((m) => (m.orcid === null ? [] : [m.orcid.toUpperCase()])))]
  const institution =
    clues.institutions.length === 0 || affiliations.length === 0
      ? "unknown"
      : affiliations.some((a) => clues.institutions.some((i) => sameInstitution(a, i)))
        ? "match"
        : "elsewhere"
  const about = terms([...members.flatMap((m) => m.topics), ...works.map((w) => `${w.title} ${w.summary}`)].join(" "))
  let topicOverlap = 0
  for (const t of interest) if (about.has(t)) topicOverlap += 1
  return {
    members,
    nameOnly,
    affiliations,
    orcids,
    works,
    institution,
    orcidMatch: orcids.some((o) => clues.orcids.includes(o)),
    topicOverlap
  }
}

/** Picks the recipient among the candidates (see the module comment). */
export const disambiguate = (
  recipient: string,
  interest: string,
  candidates: ReadonlyArray<AuthorCandidate>,
  clues: WebClues
): AuthorDecision => {
  const wanted = terms(interest)
  const { identified, nameOnly } = identities(recipient, candidates)
  const named = identified.map((members) =>
    assess(members, false, mergePapers(members.flatMap((m) => m.works)), wanted, clues)
  )
  const loose =
    nameOnly.length === 0
      ? null
      : assess(
          candidates.filter((c) => c.nameOnly),
          true,
          mergePapers(nameOnly),
          wanted,
          clues
        )
  const all = [...named, ...(loose === null ? [] : [loose])]
  const verdicts = (chosen: Identity | null, tied: ReadonlyArray<Identity> = []) =>
    all.map((identity) => ({
      identity,
      verdict: (identity === chosen
        ? "chosen"
        : identity.institution === "elsewhere" && !identity.nameOnly
          ? "elsewhere"
          : tied.includes(identity)
            ? "not_told_apart"
            : "other") as Verdict
    }))
  const resolved = (chosen: Identity, reason: string): AuthorDecision => {
    // Name-only papers belong to the chosen identity when the sources know nobody else by that name.
    const works =
      loose !== null && chosen !== loose && named.length === 1 && chosen.institution !== "elsewhere"
        ? mergePapers([...chosen.works, ...loose.works])
        : chosen.works
    const adopted = works.length > chosen.works.length ? "; arXiv papers under the name are taken as theirs" : ""
    return { status: "resolved", chosen, works, reason: `${reason}${adopted}`, identities: verdicts(chosen) }
  }
  const source = (identity: Identity) => [...new Set(identity.members.map((m) => labels[m.source]))].join(" and ")

  const byOrcid = named.filter((i) => i.orcidMatch)
  if (byOrcid.length === 1) {
    const chosen = byOrcid[0]!
    return resolved(
      chosen,
      `the ORCID iD ${chosen.orcids.find((o) => clues.orcids.includes(o))} on the recipient's page`
    )
  }
  const elsewhere = named.filter((i) => i.institution === "elsewhere")
  const eligible = named.filter((i) => i.institution !== "elsewhere")
  if (eligible.length === 1) {
    const chosen = eligible[0]!
    return resolved(
      chosen,
      chosen.institution === "match"
        ? `${source(chosen)} lists them at ${chosen.affiliations[0]}, as the web pages do`
        : `the only author of this name in ${source(chosen)}${elsewhere.length > 0 ? " besides namesakes at other institutions" : ""}`
    )
  }
  if (eligible.length > 1) {
    const matching = eligible.filter((i) => i.institution === "match")
    if (matching.length === 1) {
      return resolved(
        matching[0]!,
        `${source(matching[0]!)} lists them at ${matching[0]!.affiliations[0]}, as the web pages do`
      )
    }
    const pool = matching.length > 1 ? matching : eligible
    const topical = pool.filter((i) => i.topicOverlap > 0)
    if (topical.length === 1) {
      return resolved(topical[0]!, `the only one of ${pool.length} authors of this name who works on ${interest}`)
    }
    return {
      status: "ambiguous",
      chosen: null,
      works: [],
      reason: `${pool.length} authors named ${recipient} (${pool.map(describe).join("; ")}) and nothing told them apart`,
      identities: verdicts(null, pool)
    }
  }
  if (loose !== null) {
    const reason =
      elsewhere.length > 0
        ? `arXiv lists papers under this name (arXiv cannot tell namesakes apart); ${elsewhere.map(describe).join("; ")} is at another institution`
        : "arXiv lists papers under this name (arXiv cannot tell namesakes apart)"
    return { status: "resolved", chosen: loose, works: loose.works, reason, identities: verdicts(loose) }
  }
  return {
    status: "unknown",
    chosen: null,
    works: [],
    reason:
      elsewhere.length > 0
        ? `the only authors of this name the sources list are at other institutions: ${elsewhere.map(describe).join("; ")}`
        : "no scholarly source lists an author of this name",
    identities: verdicts(null)
  }
}
