/**
 * The operators' routes at scale, seeded in SQL on PostgreSQL: 100 000 jobs of 1 000 users over 90 days, 85 % of the
 * jobs completed with one email each (half of them confident), 5 % failed, 10 % pending, two résumé templates per user.
 * The statements run in order on one connection (a temporary table carries the jobs from one to the next), on a
 * migrated, empty database. The scale test of the admin routes and the admin benchmark seed with them.
 */

export const jobs = 100_000
export const users = 1_000

export const seedStatements: ReadonlyArray<string> = [
  `INSERT INTO users (id, email, display_name, created_at)
   SELECT 'scale-' || u, 'scale-' || u || '@uni.edu', 'User ' || u, now() - interval '91 days' + u * interval '1 minute'
   FROM generate_series(1, ${users}) u`,
  `INSERT INTO resume_templates (id, user_id, pdf_url, template_text, user_instructions, generator, created_at)
   SELECT gen_random_uuid(), 'scale-' || (1 + t % ${users}), NULL, 'Dear {{name}}, about {{research}}.',
          'Keep it short, please.', 'deterministic', now() - t * interval '1 hour'
   FROM generate_series(1, ${2 * users}) t`,
  `CREATE TEMP TABLE seeded AS
   SELECT i, gen_random_uuid() AS job_id, gen_random_uuid() AS email_id,
          CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 10 = 1 THEN 'pending' ELSE 'completed' END AS status,
          now() - (${jobs} - i) * interval '78 seconds' AS created_at
   FROM generate_series(1, ${jobs}) i`,
  `INSERT INTO emails (id, user_id, recipient_name, recipient_interest, email_message, template_type, metadata,
                       is_confident, displayed, created_at)
   SELECT email_id, 'scale-' || (1 + i % ${users}), 'Recipient ' || i, 'graphs', 'Dear Recipient, …', 'research',
          '{}', i % 2 = 0, true, created_at + interval '30 seconds'
   FROM seeded WHERE status = 'completed'`,
  `INSERT INTO queue_items (id, user_id, recipient_name, recipient_interest, email_template, status, attempts,
                            email_id, generation_time, error_message, error_type, failed_step, available_at,
                            created_at, started_at, finished_at)
   SELECT job_id, 'scale-' || (1 + i % ${users}), 'Recipient ' || i, 'graphs', 'Dear {{name}}, hello', status,
          CASE WHEN status = 'pending' THEN 0 ELSE 1 END,
          CASE WHEN status = 'completed' THEN email_id END,
          CASE WHEN status = 'completed' THEN 20 + i % 10 END,
          CASE WHEN status = 'failed' THEN 'Search engine unavailable' END,
          CASE WHEN status = 'failed' THEN 'UpstreamError' END,
          CASE WHEN status = 'failed' THEN 'web_scraper' END,
          created_at, created_at,
          CASE WHEN status <> 'pending' THEN created_at + interval '1 second' END,
          CASE WHEN status <> 'pending' THEN created_at + interval '30 seconds' END
   FROM seeded ORDER BY i`,
  "DROP TABLE seeded",
  "ANALYZE"
]
