import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Users, jobs (`queue_items`) and emails. The checks make invalid job states unrepresentable: a lease exactly while
 * processing, a step only while processing, an email exactly when completed, error fields when failed.
 * Length checks are upper bounds only: `char_length` counts code points, JavaScript counts UTF-16 units, so a
 * JavaScript maximum is never stricter than the database's while a minimum could be.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`
    CREATE TABLE users (
      id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 255),
      email text NULL,
      created_at timestamptz NOT NULL
    )`

  yield* sql`
    CREATE TABLE queue_items (
      id uuid PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      batch_id uuid NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      recipient_name text NOT NULL CHECK (char_length(recipient_name) <= 255),
      recipient_interest text NOT NULL CHECK (char_length(recipient_interest) <= 500),
      email_template text NOT NULL CHECK (char_length(email_template) <= 5000),
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
      current_step text NULL
        CHECK (current_step IN ('template_parser', 'web_scraper', 'arxiv_helper', 'email_composer')),
      step_status text NULL,
      step_timings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(step_timings) = 'object'),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      error_message text NULL CHECK (char_length(error_message) <= 1000),
      error_type text NULL,
      failed_step text NULL
        CHECK (failed_step IN ('template_parser', 'web_scraper', 'arxiv_helper', 'email_composer')),
      email_id uuid NULL,
      generation_time double precision NULL CHECK (generation_time >= 0),
      available_at timestamptz NOT NULL,
      lease_owner text NULL,
      lease_until timestamptz NULL,
      created_at timestamptz NOT NULL,
      started_at timestamptz NULL,
      finished_at timestamptz NULL,
      CONSTRAINT queue_items_lease_iff_processing CHECK ((status = 'processing') = (lease_owner IS NOT NULL)),
      CONSTRAINT queue_items_lease_complete CHECK ((lease_owner IS NULL) = (lease_until IS NULL)),
      CONSTRAINT queue_items_step_only_processing
        CHECK (status = 'processing' OR (current_step IS NULL AND step_status IS NULL)),
      CONSTRAINT queue_items_started CHECK (status = 'pending' OR (started_at IS NOT NULL AND attempts >= 1)),
      CONSTRAINT queue_items_finished_iff_done CHECK ((status IN ('completed', 'failed')) = (finished_at IS NOT NULL)),
      CONSTRAINT queue_items_email_iff_completed CHECK ((status = 'completed') = (email_id IS NOT NULL)),
      CONSTRAINT queue_items_completed_has_time CHECK (status <> 'completed' OR generation_time IS NOT NULL),
      CONSTRAINT queue_items_failed_has_error
        CHECK (status <> 'failed' OR (error_message IS NOT NULL AND error_type IS NOT NULL))
    )`

  yield* sql`
    CREATE TABLE emails (
      id uuid PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      job_id uuid NULL UNIQUE REFERENCES queue_items (id) ON DELETE SET NULL,
      recipient_name text NOT NULL,
      recipient_interest text NOT NULL,
      email_message text NOT NULL,
      template_type text NULL CHECK (template_type IN ('research', 'book', 'general')),
      metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
      is_confident boolean NOT NULL DEFAULT false,
      displayed boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL
    )`

  yield* sql`
    ALTER TABLE queue_items
      ADD CONSTRAINT queue_items_email_id_fkey FOREIGN KEY (email_id) REFERENCES emails (id) ON DELETE SET NULL`

  // The caller's queue listing.
  yield* sql`CREATE INDEX queue_items_user_created_idx ON queue_items (user_id, created_at)`
  // Take order and queue positions.
  yield* sql`CREATE INDEX queue_items_pending_seq_idx ON queue_items (seq) WHERE status = 'pending'`
  // Expired leases.
  yield* sql`CREATE INDEX queue_items_lease_idx ON queue_items (lease_until) WHERE status = 'processing'`
  // ON DELETE SET NULL from emails.
  yield* sql`CREATE INDEX queue_items_email_idx ON queue_items (email_id) WHERE email_id IS NOT NULL`
  // The user's emails, newest first.
  yield* sql`CREATE INDEX emails_user_created_idx ON emails (user_id, created_at DESC, id DESC)`
})
