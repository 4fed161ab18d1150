import { createHash } from "node:crypto"
import { SqlClient, SqlSchema } from "@effect/sql"
import { JobId, UserId } from "@scribe/core/Ids"
import { type IdempotencyKey, type InsertOnceOutcome, idempotencyWindowMs } from "@scribe/core/store/Repo"
import { Effect, Option, Schema } from "effect"
import { repoMethod } from "./RepoMethod"

/** What a key used within the window answers. */
export type Answer = Exclude<InsertOnceOutcome, { readonly _tag: "Inserted" }>

/** Requests are compared by digest: the same request ⇔ the same canonical text ⇔ the same digest. */
const digestOf = (request: string) => createHash("sha256").update(request).digest("hex")

const windowStart = (key: IdempotencyKey) => new Date(key.now.getTime() - idempotencyWindowMs)

/**
 * The `idempotency_keys` rows: a key per user and submission, remembered with the request's digest and the ids it
 * created, for `idempotencyWindowMs`. Every statement runs in the caller's transaction.
 */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  const forgetStale = SqlSchema.void({
    Request: Schema.Struct({ userId: UserId, key: Schema.String, expiredAt: Schema.DateFromSelf }),
    execute: ({ userId, key, expiredAt }) =>
      sql`DELETE FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key} AND created_at <= ${expiredAt}`
  })

  const claim = SqlSchema.findOne({
    Request: Schema.Struct({
      userId: UserId,
      key: Schema.String,
      digest: Schema.String,
      jobIds: Schema.Array(Schema.String),
      now: Schema.DateFromSelf
    }),
    Result: Schema.Struct({ key: Schema.String }),
    execute: ({ userId, key, digest, jobIds, now }) => sql`
      INSERT INTO idempotency_keys (user_id, key, request_sha256, job_ids, created_at)
      VALUES (${userId}, ${key}, ${digest}, ${`{${jobIds.join(",")}}`}::uuid[], ${now})
      ON CONFLICT (user_id, key) DO NOTHING
      RETURNING key`
  })

  const known = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, key: Schema.String, after: Schema.DateFromSelf }),
    Result: Schema.Struct({ request_sha256: Schema.String, job_ids: Schema.Array(JobId) }),
    execute: ({ userId, key, after }) => sql`
      SELECT request_sha256, job_ids::text[] AS job_ids FROM idempotency_keys
      WHERE user_id = ${userId} AND key = ${key} AND created_at > ${after}`
  })

  /** The answer of a key used within the window: the first ids for the same request, a refusal for another. */
  const answer = (key: IdempotencyKey) =>
    Effect.map(
      known({ userId: key.userId, key: key.key, after: windowStart(key) }),
      Option.map(
        (remembered): Answer =>
          remembered.request_sha256 === digestOf(key.request)
            ? { _tag: "Replayed", jobIds: remembered.job_ids }
            : { _tag: "KeyReused" }
      )
    )

  /**
   * Claims the key for `jobIds` unless it is in use: a key older than the window is forgotten first. A concurrent
   * request with the same key waits on the claim's row lock and then finds the key taken.
   */
  const remember = (key: IdempotencyKey, jobIds: ReadonlyArray<JobId>) =>
    Effect.gen(function* () {
      yield* forgetStale({ userId: key.userId, key: key.key, expiredAt: windowStart(key) })
      const claimed = yield* claim({
        userId: key.userId,
        key: key.key,
        digest: digestOf(key.request),
        jobIds,
        now: key.now
      })
      return Option.isSome(claimed)
    })

  return {
    answer,
    remember,
    replay: (key: IdempotencyKey) => repoMethod("replay")(answer(key))
  }
})

export type IdempotencyRepo = Effect.Effect.Success<typeof make>
