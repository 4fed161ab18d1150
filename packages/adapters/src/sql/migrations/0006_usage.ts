import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Per-user usage per UTC day, kept by the transactions that finish jobs, so `GET /api/usage` reads at most 30 rows
 * (plus one per model and day) instead of scanning jobs and email metadata:
 * - `usage_daily`: emails generated and jobs failed;
 * - `usage_daily_models`: LLM calls, prompt and completion tokens, and the estimated cost (USD) per model.
 * And a partial index for the per-user cap on pending + processing jobs, counted on every submission.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE usage_daily (
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      day date NOT NULL,
      emails_generated integer NOT NULL DEFAULT 0 CHECK (emails_generated >= 0),
      jobs_failed integer NOT NULL DEFAULT 0 CHECK (jobs_failed >= 0),
      PRIMARY KEY (user_id, day)
    )`
  yield* sql`
    CREATE TABLE usage_daily_models (
      user_id text NOT NULL,
      day date NOT NULL,
      model text NOT NULL CHECK (char_length(model) BETWEEN 1 AND 255),
      calls integer NOT NULL DEFAULT 0 CHECK (calls >= 0),
      prompt_tokens bigint NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
      completion_tokens bigint NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
      cost_usd double precision NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
      PRIMARY KEY (user_id, day, model),
      FOREIGN KEY (user_id, day) REFERENCES usage_daily (user_id, day) ON DELETE CASCADE
    )`
  yield* sql`
    CREATE INDEX queue_items_user_active_idx ON queue_items (user_id) WHERE status IN ('pending', 'processing')`
})
