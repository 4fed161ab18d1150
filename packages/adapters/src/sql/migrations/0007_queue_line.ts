import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Queue positions without counting the whole line. A job's position is its rank by `seq` among pending jobs;
 * counting the pending jobs ahead of it read one index entry per job (3 ms at 10 000 pending, growing with the line).
 * `queue_line_counts` keeps the number of pending jobs per stretch of 256 consecutive `seq` values (`seq / 256`), kept
 * by triggers in the transactions that change the jobs, so a listing sums the stretches wholly ahead of a job and
 * counts at most 255 index entries in its own stretch. Stretches with no pending job are deleted, so the table holds
 * at most one row per 256 jobs of the current line. Row triggers fire only when a job enters or leaves the line (not
 * on progress writes or lease renewals); inserts take the stretches in `seq` order.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`
    CREATE TABLE queue_line_counts (
      stretch bigint PRIMARY KEY,
      pending integer NOT NULL CHECK (pending >= 0)
    )`

  yield* sql`
    CREATE FUNCTION scribe_queue_line_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        IF OLD.status = 'pending' THEN
          UPDATE queue_line_counts SET pending = pending - 1 WHERE stretch = OLD.seq / 256;
          DELETE FROM queue_line_counts WHERE stretch = OLD.seq / 256 AND pending = 0;
        END IF;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        IF NEW.status = 'pending' THEN
          INSERT INTO queue_line_counts AS c (stretch, pending) VALUES (NEW.seq / 256, 1)
            ON CONFLICT (stretch) DO UPDATE SET pending = c.pending + 1;
        END IF;
      END IF;
      RETURN NULL;
    END
    $$`

  yield* sql`
    CREATE FUNCTION scribe_queue_line_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM queue_line_counts;
      RETURN NULL;
    END
    $$`

  // The triggers first: creating them locks out writers until this migration commits, so the count below misses none.
  yield* sql`
    CREATE TRIGGER queue_items_line_insert
      AFTER INSERT ON queue_items
      FOR EACH ROW WHEN (NEW.status = 'pending')
      EXECUTE FUNCTION scribe_queue_line_count()`
  yield* sql`
    CREATE TRIGGER queue_items_line_update
      AFTER UPDATE OF status ON queue_items
      FOR EACH ROW WHEN ((OLD.status = 'pending') <> (NEW.status = 'pending'))
      EXECUTE FUNCTION scribe_queue_line_count()`
  yield* sql`
    CREATE TRIGGER queue_items_line_delete
      AFTER DELETE ON queue_items
      FOR EACH ROW WHEN (OLD.status = 'pending')
      EXECUTE FUNCTION scribe_queue_line_count()`
  yield* sql`
    CREATE TRIGGER queue_items_line_truncate
      AFTER TRUNCATE ON queue_items
      FOR EACH STATEMENT
      EXECUTE FUNCTION scribe_queue_line_reset()`

  yield* sql`
    INSERT INTO queue_line_counts (stretch, pending)
    SELECT seq / 256, count(*) FROM queue_items WHERE status = 'pending' GROUP BY seq / 256`
})
