import type { PaperSource } from "@scribe/core/upstream/Paper"
import { AuthorCandidate } from "@scribe/core/upstream/ScholarlySource"

/** An author as `source` lists them: nothing but the name unless `fields` say; arXiv's are names only. */
export const author = (
  source: PaperSource,
  id: string,
  name: string,
  fields: Partial<Pick<AuthorCandidate, "affiliations" | "orcid" | "topics" | "works">> = {}
) =>
  new AuthorCandidate({
    source,
    id,
    name,
    alternativeNames: [],
    affiliations: fields.affiliations ?? [],
    orcid: fields.orcid ?? null,
    url: null,
    topics: fields.topics ?? [],
    nameOnly: source === "arxiv",
    works: fields.works ?? []
  })
