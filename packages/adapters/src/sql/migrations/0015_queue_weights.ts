import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Weighted round-robin in the fair order. `queue_users` gains, per user, a weight (default 1: a turn serves one job, as
 * before) and how many of the user's jobs the current turn has served. A claim of a pending job counts it served; once
 * the turn has served as many as the weight (or more, after the weight was lowered), the user draws a new turn and the
 * count starts again, so a user of weight w is served up to w jobs in a row. Entering the line (no pending job before)
 * draws a turn with nothing served. Emptying the queue table forgets the bookkeeping but keeps the weights that were
 * set.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`
    ALTER TABLE queue_users
      ADD COLUMN weight integer NOT NULL DEFAULT 1 CHECK (weight >= 1),
      ADD COLUMN served integer NOT NULL DEFAULT 0 CHECK (served >= 0)`

  yield* sql`
    CREATE OR REPLACE FUNCTION scribe_queue_user_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.status = 'pending' AND NEW.status = 'processing' THEN
        UPDATE queue_users
        SET pending = pending - 1,
            served = CASE WHEN served + 1 >= weight THEN 0 ELSE served + 1 END,
            turn = CASE WHEN served + 1 >= weight THEN nextval('queue_turn') ELSE turn END
        WHERE user_id = OLD.user_id;
      ELSIF TG_OP <> 'INSERT' AND OLD.status = 'pending' THEN
        UPDATE queue_users SET pending = pending - 1 WHERE user_id = OLD.user_id;
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.status = 'pending' THEN
        INSERT INTO queue_users AS u (user_id, pending, turn) VALUES (NEW.user_id, 1, nextval('queue_turn'))
          ON CONFLICT (user_id) DO UPDATE
          SET pending = u.pending + 1,
              turn = CASE WHEN u.pending = 0 THEN EXCLUDED.turn ELSE u.turn END,
              served = CASE WHEN u.pending = 0 THEN 0 ELSE u.served END;
      END IF;
      RETURN NULL;
    END
    $$`
  yield* sql`
    CREATE OR REPLACE FUNCTION scribe_queue_user_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM queue_users WHERE weight = 1;
      UPDATE queue_users SET pending = 0, served = 0;
      RETURN NULL;
    END
    $$`
})
