import type { Effect } from "effect"
import { Context } from "effect"

/**
 * What scholarly sources answered about a name, kept for a while (`SCRIBE_AUTHOR_CACHE_TTL_HOURS`, default 7 days)
 * so a rerun, or a later email to the same professor, costs no lookups. Keys are `<source>:<query key>`; values are
 * JSON text. A cache that cannot answer is a miss (and a failed write is forgotten): it never fails a job.
 */
export class AuthorCache extends Context.Tag("@scribe/core/AuthorCache")<
  AuthorCache,
  {
    /** The entries younger than the cache's time to live, by key. */
    readonly get: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>>
    readonly put: (entries: ReadonlyArray<{ readonly key: string; readonly value: string }>) => Effect.Effect<void>
  }
>() {}
