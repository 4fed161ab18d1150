import { SqlClient } from "@effect/sql"
import type { Duration } from "effect"
import { Effect } from "effect"
import * as SqlAuthorCache from "../src/sql/SqlAuthorCache"

/** An empty `author_cache` table and the SQL cache over it. */
export const freshSqlAuthorCache = (ttl: Duration.DurationInput) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`TRUNCATE author_cache`
    return yield* SqlAuthorCache.make(ttl)
  })
