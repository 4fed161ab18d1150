import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Email templates written from a student's résumé. The per-user limit is enforced in the insert's transaction, which
 * locks the user's row first (`SELECT … FOR UPDATE`): one user's inserts are serialised, and the count each one reads
 * includes every insert committed before it. `pdf_url` is null for an uploaded PDF.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE resume_templates (
      id uuid PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      pdf_url text NULL CHECK (char_length(pdf_url) <= 2048),
      template_text text NOT NULL CHECK (char_length(template_text) <= 5000),
      user_instructions text NOT NULL CHECK (char_length(user_instructions) <= 2000),
      generator text NOT NULL CHECK (generator IN ('llm', 'deterministic')),
      created_at timestamptz NOT NULL
    )`
  // The user's templates newest first, and their count.
  yield* sql`CREATE INDEX resume_templates_user_created_idx ON resume_templates (user_id, created_at DESC, id DESC)`
})
