import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The operators' counts, kept per user and ISO week (`admin_user_weeks`) and per user (`admin_user_totals`) by triggers
 * in the transactions that change the jobs and the emails, so the overview and the users list read one row per user
 * and the activity one per user active in the weeks asked, instead of every job and email (at 100 000 jobs those
 * passes took 100–380 ms); `users_created_idx` gives the users list its order. A job counts in the week it was
 * submitted, an email in the week it was written (UTC, weeks starting on Monday). Inserted jobs are counted once per
 * statement (a batch is one); the job row triggers fire only when a job is deleted or its status leaves or enters
 * `completed`/`failed` (a claim or a progress report does not fire them). Counts change in the changing transaction,
 * so they are exact, never a cache; every existing row is counted once here. The users list no longer reads 0010's
 * `queue_items_user_failed_idx`; 0010's other indexes still serve this week's counts, the errors and a user's views.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`
    CREATE FUNCTION scribe_iso_week(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT date_trunc('week', at AT TIME ZONE 'UTC')::date
    $$`
  yield* sql`
    CREATE TABLE admin_user_weeks (
      user_id text NOT NULL,
      week date NOT NULL,
      jobs integer NOT NULL DEFAULT 0,
      completed_jobs integer NOT NULL DEFAULT 0,
      failed_jobs integer NOT NULL DEFAULT 0,
      timed_jobs integer NOT NULL DEFAULT 0,
      generation_seconds numeric NOT NULL DEFAULT 0,
      emails integer NOT NULL DEFAULT 0,
      confident_emails integer NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id, week)
    )`
  yield* sql`CREATE INDEX admin_user_weeks_week_idx ON admin_user_weeks (week)`

  yield* sql`
    CREATE TABLE admin_user_totals (
      user_id text PRIMARY KEY,
      jobs integer NOT NULL DEFAULT 0,
      completed_jobs integer NOT NULL DEFAULT 0,
      failed_jobs integer NOT NULL DEFAULT 0,
      timed_jobs integer NOT NULL DEFAULT 0,
      generation_seconds numeric NOT NULL DEFAULT 0,
      emails integer NOT NULL DEFAULT 0,
      confident_emails integer NOT NULL DEFAULT 0
    )`
  yield* sql`CREATE INDEX users_created_idx ON users (created_at DESC, id DESC)`

  // A job's counts, added (sign 1) or taken away (-1), in its user's week and in its user's totals.
  yield* sql`
    CREATE FUNCTION scribe_admin_count_job(p_user text, p_created timestamptz, p_status text,
                                           p_time double precision, p_sign integer)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      d_completed integer := (p_status = 'completed')::int * p_sign;
      d_failed integer := (p_status = 'failed')::int * p_sign;
      d_timed integer := (p_status = 'completed' AND p_time IS NOT NULL)::int * p_sign;
      d_seconds numeric := (CASE WHEN p_status = 'completed' THEN coalesce(p_time, 0) ELSE 0 END)::numeric * p_sign;
    BEGIN
      INSERT INTO admin_user_weeks AS w
        (user_id, week, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds)
      VALUES (p_user, scribe_iso_week(p_created), p_sign, d_completed, d_failed, d_timed, d_seconds)
      ON CONFLICT (user_id, week) DO UPDATE
      SET jobs = w.jobs + EXCLUDED.jobs, completed_jobs = w.completed_jobs + EXCLUDED.completed_jobs,
          failed_jobs = w.failed_jobs + EXCLUDED.failed_jobs, timed_jobs = w.timed_jobs + EXCLUDED.timed_jobs,
          generation_seconds = w.generation_seconds + EXCLUDED.generation_seconds;
      INSERT INTO admin_user_totals AS t
        (user_id, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds)
      VALUES (p_user, p_sign, d_completed, d_failed, d_timed, d_seconds)
      ON CONFLICT (user_id) DO UPDATE
      SET jobs = t.jobs + EXCLUDED.jobs, completed_jobs = t.completed_jobs + EXCLUDED.completed_jobs,
          failed_jobs = t.failed_jobs + EXCLUDED.failed_jobs, timed_jobs = t.timed_jobs + EXCLUDED.timed_jobs,
          generation_seconds = t.generation_seconds + EXCLUDED.generation_seconds;
    END
    $$`
  yield* sql`
    CREATE FUNCTION scribe_admin_job_week() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        PERFORM scribe_admin_count_job(OLD.user_id, OLD.created_at, OLD.status, OLD.generation_time, -1);
      END IF;
      IF TG_OP <> 'DELETE' THEN
        PERFORM scribe_admin_count_job(NEW.user_id, NEW.created_at, NEW.status, NEW.generation_time, 1);
      END IF;
      RETURN NULL;
    END
    $$`
  // A batch's jobs arrive in one INSERT: counted once per statement, a row per user and week.
  yield* sql`
    CREATE FUNCTION scribe_admin_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO admin_user_weeks AS w
        (user_id, week, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds)
      SELECT user_id, scribe_iso_week(created_at), count(*), count(*) FILTER (WHERE status = 'completed'),
             count(*) FILTER (WHERE status = 'failed'),
             count(generation_time) FILTER (WHERE status = 'completed'),
             coalesce(sum(generation_time::numeric) FILTER (WHERE status = 'completed'), 0)
      FROM inserted GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (user_id, week) DO UPDATE
      SET jobs = w.jobs + EXCLUDED.jobs, completed_jobs = w.completed_jobs + EXCLUDED.completed_jobs,
          failed_jobs = w.failed_jobs + EXCLUDED.failed_jobs, timed_jobs = w.timed_jobs + EXCLUDED.timed_jobs,
          generation_seconds = w.generation_seconds + EXCLUDED.generation_seconds;
      INSERT INTO admin_user_totals AS t
        (user_id, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds)
      SELECT user_id, count(*), count(*) FILTER (WHERE status = 'completed'),
             count(*) FILTER (WHERE status = 'failed'),
             count(generation_time) FILTER (WHERE status = 'completed'),
             coalesce(sum(generation_time::numeric) FILTER (WHERE status = 'completed'), 0)
      FROM inserted GROUP BY 1 ORDER BY 1
      ON CONFLICT (user_id) DO UPDATE
      SET jobs = t.jobs + EXCLUDED.jobs, completed_jobs = t.completed_jobs + EXCLUDED.completed_jobs,
          failed_jobs = t.failed_jobs + EXCLUDED.failed_jobs, timed_jobs = t.timed_jobs + EXCLUDED.timed_jobs,
          generation_seconds = t.generation_seconds + EXCLUDED.generation_seconds;
      RETURN NULL;
    END
    $$`
  yield* sql`
    CREATE TRIGGER queue_items_admin_insert
      AFTER INSERT ON queue_items REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION scribe_admin_jobs_inserted()`
  yield* sql`
    CREATE TRIGGER queue_items_admin_delete
      AFTER DELETE ON queue_items
      FOR EACH ROW EXECUTE FUNCTION scribe_admin_job_week()`
  yield* sql`
    CREATE TRIGGER queue_items_admin_update
      AFTER UPDATE OF status, generation_time, user_id, created_at ON queue_items
      FOR EACH ROW
      WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.created_at IS DISTINCT FROM NEW.created_at
            OR OLD.generation_time IS DISTINCT FROM NEW.generation_time
            OR (OLD.status IS DISTINCT FROM NEW.status
                AND (OLD.status IN ('completed', 'failed') OR NEW.status IN ('completed', 'failed'))))
      EXECUTE FUNCTION scribe_admin_job_week()`

  yield* sql`
    CREATE FUNCTION scribe_admin_count_email(p_user text, p_created timestamptz, p_confident boolean,
                                             p_sign integer)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO admin_user_weeks AS w (user_id, week, emails, confident_emails)
      VALUES (p_user, scribe_iso_week(p_created), p_sign, p_confident::int * p_sign)
      ON CONFLICT (user_id, week) DO UPDATE
      SET emails = w.emails + EXCLUDED.emails, confident_emails = w.confident_emails + EXCLUDED.confident_emails;
      INSERT INTO admin_user_totals AS t (user_id, emails, confident_emails)
      VALUES (p_user, p_sign, p_confident::int * p_sign)
      ON CONFLICT (user_id) DO UPDATE
      SET emails = t.emails + EXCLUDED.emails, confident_emails = t.confident_emails + EXCLUDED.confident_emails;
    END
    $$`
  yield* sql`
    CREATE FUNCTION scribe_admin_email_week() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        PERFORM scribe_admin_count_email(OLD.user_id, OLD.created_at, OLD.is_confident, -1);
      END IF;
      IF TG_OP <> 'DELETE' THEN
        PERFORM scribe_admin_count_email(NEW.user_id, NEW.created_at, NEW.is_confident, 1);
      END IF;
      RETURN NULL;
    END
    $$`
  yield* sql`
    CREATE TRIGGER emails_admin_insert_delete
      AFTER INSERT OR DELETE ON emails
      FOR EACH ROW EXECUTE FUNCTION scribe_admin_email_week()`
  yield* sql`
    CREATE TRIGGER emails_admin_update
      AFTER UPDATE OF is_confident, user_id, created_at ON emails
      FOR EACH ROW
      WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.created_at IS DISTINCT FROM NEW.created_at
            OR OLD.is_confident IS DISTINCT FROM NEW.is_confident)
      EXECUTE FUNCTION scribe_admin_email_week()`

  // TRUNCATE fires no row trigger: emptying a table zeroes its counts.
  yield* sql`
    CREATE FUNCTION scribe_admin_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'queue_items' THEN
        UPDATE admin_user_weeks
        SET jobs = 0, completed_jobs = 0, failed_jobs = 0, timed_jobs = 0, generation_seconds = 0;
        UPDATE admin_user_totals
        SET jobs = 0, completed_jobs = 0, failed_jobs = 0, timed_jobs = 0, generation_seconds = 0;
      ELSE
        UPDATE admin_user_weeks SET emails = 0, confident_emails = 0;
        UPDATE admin_user_totals SET emails = 0, confident_emails = 0;
      END IF;
      DELETE FROM admin_user_weeks WHERE jobs = 0 AND emails = 0;
      DELETE FROM admin_user_totals WHERE jobs = 0 AND emails = 0;
      RETURN NULL;
    END
    $$`
  yield* sql`
    CREATE TRIGGER queue_items_admin_truncate AFTER TRUNCATE ON queue_items
      FOR EACH STATEMENT EXECUTE FUNCTION scribe_admin_truncate()`
  yield* sql`
    CREATE TRIGGER emails_admin_truncate AFTER TRUNCATE ON emails
      FOR EACH STATEMENT EXECUTE FUNCTION scribe_admin_truncate()`

  yield* sql`
    INSERT INTO admin_user_weeks
      (user_id, week, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds, emails, confident_emails)
    SELECT user_id, week, coalesce(j.jobs, 0), coalesce(j.completed_jobs, 0), coalesce(j.failed_jobs, 0),
           coalesce(j.timed_jobs, 0), coalesce(j.generation_seconds, 0), coalesce(e.emails, 0),
           coalesce(e.confident_emails, 0)
    FROM (SELECT user_id, scribe_iso_week(created_at) AS week, count(*) AS jobs,
                 count(*) FILTER (WHERE status = 'completed') AS completed_jobs,
                 count(*) FILTER (WHERE status = 'failed') AS failed_jobs,
                 count(generation_time) FILTER (WHERE status = 'completed') AS timed_jobs,
                 coalesce(sum(generation_time::numeric) FILTER (WHERE status = 'completed'), 0) AS generation_seconds
          FROM queue_items GROUP BY 1, 2) j
    FULL JOIN (SELECT user_id, scribe_iso_week(created_at) AS week, count(*) AS emails,
                      count(*) FILTER (WHERE is_confident) AS confident_emails
               FROM emails GROUP BY 1, 2) e USING (user_id, week)`
  yield* sql`
    INSERT INTO admin_user_totals
      (user_id, jobs, completed_jobs, failed_jobs, timed_jobs, generation_seconds, emails, confident_emails)
    SELECT user_id, sum(jobs), sum(completed_jobs), sum(failed_jobs), sum(timed_jobs), sum(generation_seconds),
           sum(emails), sum(confident_emails)
    FROM admin_user_weeks GROUP BY user_id`
})
