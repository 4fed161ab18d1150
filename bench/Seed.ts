/**
 * A database at scale for benchmarks 3 and 5, generated in SQL (the same statements on Postgres and PGlite):
 * 1 001 users, 100 000 emails (1 ~1 KB message and ~1 KB of metadata each) and 100 000 jobs — 90 000 completed
 * (1 000 of them in the last hour, the rest older than a day), 9 900 other users' jobs pending in line, and the
 * caller's 100 active (pending) jobs, last in line.
 */
import { createHash } from "node:crypto"

/** A UUID made from a label, as Postgres makes it (`md5(label)::uuid`). */
export const md5Uuid = (text: string): string => {
  const hex = createHash("md5").update(text).digest("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** User ids are UUIDs (a token's `sub` must be one): `bench-user-N` is stored as `md5('bench-user-N')::uuid`. */
const benchUser = (g: string) => `md5('bench-user-' || ${g})::uuid::text`

export const caller = md5Uuid("bench-caller")

/** The number of jobs and of emails; `rows` below 100 000 shrinks every part in proportion (PGlite, if asked). */
export const defaultRows = 100_000

export const seedStatements = (rows: number): ReadonlyArray<string> => {
  const completed = Math.round(rows * 0.9)
  const pendingOthers = rows - completed - 100
  const owner = (g: string) =>
    `CASE WHEN ${g} % 100 = 0 AND ${g} > 1000 THEN '${caller}' ELSE ${benchUser(`(${g} % 1000)`)} END`
  const metadata = (g: string) => `jsonb_build_object(
      'composer', 'llm', 'template_type', 'research', 'generation_time', 12.3,
      'papers_used', jsonb_build_array(jsonb_build_object('title', 'A Study of Things, Part ' || ${g},
        'arxiv_id', '2401.' || ${g}, 'url', 'http://arxiv.org/abs/2401.' || ${g}, 'published', '2024-01-15T00:00:00.000Z',
        'authors', jsonb_build_array('Ada Person', 'Rosa Quill'))),
      'sources', jsonb_build_array('https://uni.example/people/' || ${g}, 'https://uni.example/labs/' || ${g}),
      'facts_used', jsonb_build_array(
        jsonb_build_object('statement', 'Person ' || ${g} || ' leads a lab on the topic of their papers.', 'source_url', 'https://uni.example/people/' || ${g}),
        jsonb_build_object('statement', 'Person ' || ${g} || ' is Professor of Computing at the university.', 'source_url', 'https://uni.example/people/' || ${g}),
        jsonb_build_object('statement', 'The lab of person ' || ${g} || ' studies scalable methods.', 'source_url', 'https://uni.example/labs/' || ${g})),
      'step_timings', jsonb_build_object('template_parser', 1.2, 'web_scraper', 6.8, 'arxiv_helper', 1.1, 'email_composer', 3.3),
      'checks', jsonb_build_object('passed', true, 'sanitised', false, 'regenerations', 0, 'failed', '[]'::jsonb),
      'warnings', '[]'::jsonb,
      'confidence', jsonb_build_object('is_confident', true, 'reason', 'grounded in verified papers or facts'))`
  return [
    `INSERT INTO users (id, email, created_at)
     SELECT ${benchUser("g")}, 'user' || g || '@bench.example', now() - interval '90 days' FROM generate_series(0, 999) g`,
    `INSERT INTO users (id, email, created_at) VALUES ('${caller}', 'caller@bench.example', now() - interval '90 days')`,
    // Emails 1..completed belong to the completed jobs; the rest were written long ago.
    `INSERT INTO emails (id, user_id, recipient_name, recipient_interest, email_message, template_type, metadata,
                         is_confident, displayed, created_at)
     SELECT md5('email' || g)::uuid, ${owner("g")}, 'Prof. Person ' || g, 'topic ' || (g % 50),
            repeat('Dear Professor Person, I read your recent paper with great interest and would love to join. ', 12),
            'research', ${metadata("g")}, g % 3 <> 0, g % 7 <> 0,
            CASE WHEN g <= 1000 THEN now() - interval '20 minutes' ELSE now() - interval '2 days' - g * interval '1 minute' END
     FROM generate_series(1, ${rows}) g`,
    `INSERT INTO queue_items (id, user_id, recipient_name, recipient_interest, email_template, status, step_timings,
                              attempts, email_id, generation_time, available_at, created_at, started_at, finished_at)
     SELECT md5('job' || g)::uuid, ${owner("g")}, 'Prof. Person ' || g, 'topic ' || (g % 50),
            'Dear {{name}}, I read {{research}} with great interest.', 'completed',
            '{"template_parser": 1.2, "web_scraper": 6.8, "arxiv_helper": 1.1, "email_composer": 3.3}'::jsonb, 1,
            md5('email' || g)::uuid, 12.3, t - interval '1 minute', t - interval '1 minute', t - interval '13 seconds', t
     FROM (SELECT g, CASE WHEN g <= 1000 THEN now() - interval '20 minutes'
                          ELSE now() - interval '2 days' - g * interval '1 minute' END AS t
           FROM generate_series(1, ${completed}) g) s`,
    `INSERT INTO queue_items (id, user_id, recipient_name, recipient_interest, email_template, status, available_at,
                              created_at)
     SELECT md5('pending' || g)::uuid, ${benchUser("(g % 1000)")}, 'Prof. Person ' || g, 'topic ' || (g % 50),
            'Dear {{name}}, I read {{research}} with great interest.', 'pending', t, t
     FROM (SELECT g, now() - interval '1 hour' + g * interval '300 milliseconds' AS t
           FROM generate_series(1, ${pendingOthers}) g) s`,
    `INSERT INTO queue_items (id, user_id, recipient_name, recipient_interest, email_template, status, available_at,
                              created_at)
     SELECT md5('mine' || g)::uuid, '${caller}', 'Prof. Person ' || g, 'topic ' || (g % 50),
            'Dear {{name}}, I read {{research}} with great interest.', 'pending', t, t
     FROM (SELECT g, now() - interval '5 minutes' + g * interval '1 second' AS t FROM generate_series(1, 100) g) s`,
    "VACUUM ANALYZE users",
    "VACUUM ANALYZE emails",
    "VACUUM ANALYZE queue_items",
    // The tables the triggers keep (one update per inserted job): as autovacuum would leave them after a bulk load,
    // not with a hundred dead versions of each row.
    "VACUUM ANALYZE queue_users",
    "VACUUM ANALYZE queue_line_counts",
    "VACUUM ANALYZE admin_user_totals",
    "VACUUM ANALYZE admin_user_weeks"
  ]
}

/** The queue listing exactly as `SqlRepo.listQueue` sends it under the default (fair) order ($1 user, $2 since). */
export { listQueueFairSql as listQueueSql } from "@scribe/adapters/sql/QueueListing"

/** The queue listing before its tuning (every pending job ranked), kept to show the difference. */
export const listQueueBeforeSql = `
      SELECT q.*, r.position
      FROM queue_items q
      LEFT JOIN (
        SELECT id, ROW_NUMBER() OVER (ORDER BY seq) AS position FROM queue_items WHERE status = 'pending'
      ) r ON r.id = q.id
      WHERE q.user_id = $1 AND q.created_at >= $2
      ORDER BY q.seq`

/** The email listing as `SqlRepo.listEmails` sends it for the defaults (limit 20, offset 0, displayed only). */
export const listEmailsSql = `
      SELECT * FROM emails
      WHERE user_id = $1 AND displayed = true
      ORDER BY created_at DESC, id DESC
      LIMIT $2 OFFSET $3`

/** Postgres' `md5(text)::uuid`. */
/** Tasks for the pollers: 500 pending (users 1–500) and 500 finished 20 minutes ago (the same users). */
export const pollerTasks = (): ReadonlyArray<{ readonly user: string; readonly id: string }> => [
  ...Array.from({ length: 500 }, (_, i) => ({ user: `bench-user-${i + 1}`, id: md5Uuid(`pending${i + 1}`) })),
  ...Array.from({ length: 500 }, (_, i) => ({ user: `bench-user-${i + 1}`, id: md5Uuid(`job${i + 1}`) }))
]
