import { Schema } from "effect"

/** The bibliographic sources Scribe reads papers from. */
export const PaperSource = Schema.Literal("openalex", "semantic_scholar", "arxiv")
export type PaperSource = typeof PaperSource.Type

/** Where a source lists a paper: the source, its own id for it and the page it shows. */
export class PaperLocation extends Schema.Class<PaperLocation>("PaperLocation")({
  source: PaperSource,
  id: Schema.String,
  url: Schema.String
}) {}

/** A scholarly paper as a bibliographic source lists it. */
export class Paper extends Schema.Class<Paper>("Paper")({
  /** The source's own id: an arXiv id (`2301.01234v2`), an OpenAlex work (`W2741809807`), a Semantic Scholar paper. */
  id: Schema.String,
  title: Schema.String,
  authors: Schema.Array(Schema.String),
  summary: Schema.String,
  /** Encoded as an ISO date, so a paper is JSON-safe (the author cache stores papers). */
  published: Schema.Date,
  url: Schema.String,
  source: Schema.optionalWith(PaperSource, { default: () => "arxiv" }),
  /** Lower case, without the `https://doi.org/` prefix. */
  doi: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** The arXiv id when the paper is (also) an arXiv preprint; an arXiv paper's is its `id`. */
  arxivId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** The same paper as other sources list it, once papers from several sources are merged. */
  alsoIn: Schema.optionalWith(Schema.Array(PaperLocation), { default: () => [] })
}) {}

/** The paper's arXiv id without its version (`2301.01234`), `null` when it is not an arXiv preprint. */
export const arxivIdOf = (paper: Paper): string | null => {
  const id = paper.arxivId ?? (paper.source === "arxiv" ? paper.id : null)
  return id === null ? null : id.toLowerCase().replace(/v\d+$/, "")
}
