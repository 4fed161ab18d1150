import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Indexes behind the operators' views (`/api/admin/…`), so none reads every job at 100 000 jobs:
 * - `emails_created_idx` (created_at): emails per ISO week (`activity`), a range scan of the weeks asked;
 * - `queue_items_created_user_idx` (created_at, user_id): active users this week (`overview`) and per week
 *   (`activity`), an index-only range scan;
 * - `queue_items_failed_created_idx` (created_at DESC, seq DESC) WHERE failed: the newest failures (`errors`), read
 *   in order, only as many as asked;
 * - `queue_items_user_failed_idx` (user_id) WHERE failed: each user's failed count (`users`).
 * A user's jobs (`users/{id}/queue`), emails (`users/{id}/emails`) and counts use the per-user indexes that exist
 * (`queue_items_user_created_idx`, `emails_user_created_idx`, `resume_templates_user_created_idx`); the overview's
 * totals are one pass over each table.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX emails_created_idx ON emails (created_at)`
  yield* sql`CREATE INDEX queue_items_created_user_idx ON queue_items (created_at, user_id)`
  yield* sql`
    CREATE INDEX queue_items_failed_created_idx ON queue_items (created_at DESC, seq DESC) WHERE status = 'failed'`
  yield* sql`CREATE INDEX queue_items_user_failed_idx ON queue_items (user_id) WHERE status = 'failed'`
})
