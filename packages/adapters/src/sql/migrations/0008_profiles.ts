import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Users' profiles: `display_name`, `onboarded` and the kept `email_template`. The counts a profile shows (emails
 * generated, templates) are never stored: they are counted from the rows when read, on the per-user indexes
 * (`emails_user_created_idx`, and `resume_templates_user_created_idx` in 0009), so they are exact under any
 * concurrency. Length checks are upper bounds, in code points as the API counts them.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE users
      ADD COLUMN display_name text NULL CHECK (char_length(display_name) <= 255),
      ADD COLUMN onboarded boolean NOT NULL DEFAULT false,
      ADD COLUMN email_template text NULL CHECK (char_length(email_template) <= 10000)`
})
