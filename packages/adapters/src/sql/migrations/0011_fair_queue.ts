import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The fair order's bookkeeping. `queue_users` keeps, per user, the number of pending jobs and the user's turn: a value
 * of the `queue_turn` sequence taken when the user enters the line (no pending job before) and again whenever one of
 * the user's jobs is claimed, so the user with the smallest turn is the one served least recently. Both are kept by
 * triggers in the transactions that change the jobs, so a claim reads one row per user in turn order and a listing
 * computes positions from one row per active user. Row triggers fire only when a job enters or leaves the line.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`CREATE SEQUENCE queue_turn`
  yield* sql`
    CREATE TABLE queue_users (
      user_id text PRIMARY KEY,
      pending integer NOT NULL CHECK (pending >= 0),
      turn bigint NOT NULL
    )`
  yield* sql`CREATE INDEX queue_users_turn_idx ON queue_users (turn) WHERE pending > 0`
  yield* sql`
    CREATE INDEX queue_items_user_line_idx ON queue_items (user_id, seq) WHERE status IN ('pending', 'processing')`

  yield* sql`
    CREATE FUNCTION scribe_queue_user_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.status = 'pending' THEN
        UPDATE queue_users
        SET pending = pending - 1,
            turn = CASE WHEN TG_OP = 'UPDATE' AND NEW.status = 'processing' THEN nextval('queue_turn') ELSE turn END
        WHERE user_id = OLD.user_id;
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.status = 'pending' THEN
        INSERT INTO queue_users AS u (user_id, pending, turn) VALUES (NEW.user_id, 1, nextval('queue_turn'))
          ON CONFLICT (user_id) DO UPDATE
          SET pending = u.pending + 1, turn = CASE WHEN u.pending = 0 THEN EXCLUDED.turn ELSE u.turn END;
      END IF;
      RETURN NULL;
    END
    $$`
  yield* sql`
    CREATE FUNCTION scribe_queue_user_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM queue_users;
      RETURN NULL;
    END
    $$`

  yield* sql`
    CREATE TRIGGER queue_items_user_insert
      AFTER INSERT ON queue_items
      FOR EACH ROW WHEN (NEW.status = 'pending')
      EXECUTE FUNCTION scribe_queue_user_count()`
  yield* sql`
    CREATE TRIGGER queue_items_user_update
      AFTER UPDATE OF status ON queue_items
      FOR EACH ROW WHEN ((OLD.status = 'pending') <> (NEW.status = 'pending'))
      EXECUTE FUNCTION scribe_queue_user_count()`
  yield* sql`
    CREATE TRIGGER queue_items_user_delete
      AFTER DELETE ON queue_items
      FOR EACH ROW WHEN (OLD.status = 'pending')
      EXECUTE FUNCTION scribe_queue_user_count()`
  yield* sql`
    CREATE TRIGGER queue_items_user_truncate
      AFTER TRUNCATE ON queue_items
      FOR EACH STATEMENT
      EXECUTE FUNCTION scribe_queue_user_reset()`

  yield* sql`
    INSERT INTO queue_users (user_id, pending, turn)
    SELECT user_id, count(*), nextval('queue_turn') FROM queue_items WHERE status = 'pending' GROUP BY user_id`
})
