import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Idempotency keys of submissions (generate, batch): per user, the request they were first used with (as a SHA-256
 * of its canonical form) and the ids of the jobs it created. Rows older than 24 hours no longer count.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE idempotency_keys (
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
      request_sha256 text NOT NULL,
      job_ids uuid[] NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, key)
    )`
  yield* sql`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`
})
