import { SqlClient, SqlSchema } from "@effect/sql"
import type { EmailPage } from "@scribe/core/emails/Email"
import { EmailId, UserId } from "@scribe/core/Ids"
import { Effect, Schema } from "effect"
import { repoMethod } from "./RepoMethod"
import { EmailFromRow } from "./Rows"

/** A user's emails: read one, list them newest first, discard or restore one. (They are written by a job's completion.) */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  const findEmail = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: EmailId }),
    Result: EmailFromRow,
    execute: ({ userId, id }) => sql`SELECT * FROM emails WHERE id = ${id} AND user_id = ${userId}`
  })

  const listEmails = SqlSchema.findAll({
    Request: Schema.Struct({
      userId: UserId,
      limit: Schema.Number,
      offset: Schema.Number,
      includeDiscarded: Schema.Boolean
    }),
    Result: EmailFromRow,
    execute: ({ userId, limit, offset, includeDiscarded }) => sql`
      SELECT * FROM emails
      WHERE user_id = ${userId} ${includeDiscarded ? sql`` : sql`AND displayed = true`}
      ORDER BY created_at DESC, id DESC
      LIMIT ${limit} OFFSET ${offset}`
  })

  const setDisplayed = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: EmailId, displayed: Schema.Boolean }),
    Result: EmailFromRow,
    execute: ({ userId, id, displayed }) => sql`
      UPDATE emails SET displayed = ${displayed} WHERE id = ${id} AND user_id = ${userId} RETURNING *`
  })

  return {
    findEmail: (userId: UserId, id: EmailId) => repoMethod("findEmail")(findEmail({ userId, id })),
    listEmails: (userId: UserId, page: EmailPage) => repoMethod("listEmails")(listEmails({ userId, ...page })),
    setDisplayed: (userId: UserId, id: EmailId, displayed: boolean) =>
      repoMethod("setDisplayed")(setDisplayed({ userId, id, displayed }))
  }
})
