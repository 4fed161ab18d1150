import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * What the scholarly sources answered about a name (`<source>:<query key>` → JSON), so a rerun or a later email to
 * the same professor costs no lookups; entries older than `SCRIBE_AUTHOR_CACHE_TTL_HOURS` are not read and are
 * deleted from time to time (the index on `stored_at` serves that).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE author_cache (
      key text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 1000),
      value text NOT NULL,
      stored_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX author_cache_stored_at_idx ON author_cache (stored_at)`
})
