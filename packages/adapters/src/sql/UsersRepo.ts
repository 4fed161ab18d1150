import { SqlClient, SqlSchema } from "@effect/sql"
import type { AuthUser } from "@scribe/core/auth/AuthUser"
import { UserId } from "@scribe/core/Ids"
import { Effect, Schema } from "effect"
import { repoMethod } from "./RepoMethod"

/** The `users` rows: created on a user's first authenticated request, their email kept current. */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  const upsert = SqlSchema.void({
    Request: Schema.Struct({ id: UserId, email: Schema.NullOr(Schema.String), now: Schema.DateFromSelf }),
    execute: ({ id, email, now }) => sql`
      INSERT INTO users (id, email, created_at) VALUES (${id}, ${email}, ${now})
      ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email
      WHERE users.email IS DISTINCT FROM EXCLUDED.email`
  })

  return {
    upsertUser: (user: AuthUser, now: Date) => repoMethod("upsertUser")(upsert({ id: user.id, email: user.email, now }))
  }
})
