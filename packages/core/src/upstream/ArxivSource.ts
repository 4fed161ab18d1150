import { type Context, Effect } from "effect"
import { normaliseText } from "../pipeline/Names"
import type { Arxiv } from "./Arxiv"
import { AuthorCandidate, type AuthorQuery, type LookupOptions, type ScholarlySource } from "./ScholarlySource"

/**
 * arXiv as a scholarly source, over the `Arxiv` port: one query per recipient, paced by the arXiv adapter's budget.
 * It asks for the author's newest papers, not filtered by the interest: arXiv matches topic words literally
 * ("superoptimizing" is not "optimization"), and arXiv is asked about the people the other sources do not know, who
 * seldom have more papers than one answer holds; ranking by the interest happens afterwards. arXiv has no author
 * identities, so its one candidate per query is name-only: the papers listing an author by that name, homonyms
 * included, for author verification and disambiguation to sort out.
 */
export const make = (arxiv: Context.Tag.Service<Arxiv>): ScholarlySource => {
  const one = (query: AuthorQuery, options: LookupOptions) =>
    arxiv.searchByAuthor({ author: query.name, topic: null, maxResults: options.maxWorks }).pipe(
      Effect.map((papers) =>
        papers.length === 0
          ? []
          : [
              new AuthorCandidate({
                source: "arxiv",
                id: query.name,
                name: query.name,
                alternativeNames: [],
                affiliations: [],
                orcid: null,
                url: null,
                topics: [],
                nameOnly: true,
                works: papers
              })
            ]
      )
    )
  return {
    name: "arxiv",
    maxGroup: 1,
    concurrency: 16,
    keyOf: (query) => normaliseText(query.name),
    lookup: (queries, options) => Effect.forEach(queries, (q) => one(q, options), { concurrency: "unbounded" })
  }
}
