import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Dispatch wake-ups. Every row that becomes `pending` (an insert, a retry put back in line) notifies the
 * `scribe_jobs` channel from inside its own transaction, so the wake-up is delivered exactly when the row commits and
 * never for a rolled-back one. The payload is constant: Postgres folds the notifications of one transaction into one.
 * Listeners only wake up and claim; the table stays the truth.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`
    CREATE FUNCTION scribe_notify_job_pending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('scribe_jobs', 'pending');
      RETURN NULL;
    END
    $$`

  yield* sql`
    CREATE TRIGGER queue_items_notify_pending
      AFTER INSERT OR UPDATE OF status ON queue_items
      FOR EACH ROW WHEN (NEW.status = 'pending')
      EXECUTE FUNCTION scribe_notify_job_pending()`

  // When the next delayed retry is due.
  yield* sql`CREATE INDEX queue_items_pending_available_idx ON queue_items (available_at) WHERE status = 'pending'`
})
