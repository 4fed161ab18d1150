import { SqlClient, SqlSchema } from "@effect/sql"
import { UserId } from "@scribe/core/Ids"
import { RepoError } from "@scribe/core/store/Repo"
import { Profile } from "@scribe/core/users/Profile"
import { ProfileRepo } from "@scribe/core/users/ProfileRepo"
import { Effect, Layer, Option, Schema } from "effect"

/** count(*) is int8: a number from PGlite, a string from node-postgres. */
const Count = Schema.Union(Schema.Number, Schema.NumberFromString)

const ProfileRow = Schema.Struct({
  id: Schema.String,
  email: Schema.NullOr(Schema.String),
  display_name: Schema.NullOr(Schema.String),
  onboarded: Schema.Boolean,
  email_template: Schema.NullOr(Schema.String),
  created_at: Schema.DateFromSelf,
  generation_count: Count,
  template_count: Count
})

const ProfileFromRow = Schema.transform(ProfileRow, Profile, {
  strict: true,
  decode: (r) => ({
    id: r.id,
    email: r.email,
    displayName: r.display_name,
    generationCount: r.generation_count,
    templateCount: r.template_count,
    onboarded: r.onboarded,
    emailTemplate: r.email_template,
    createdAt: r.created_at
  }),
  encode: (p) => ({
    id: p.id,
    email: p.email,
    display_name: p.displayName,
    onboarded: p.onboarded,
    email_template: p.emailTemplate,
    created_at: p.createdAt,
    generation_count: p.generationCount,
    template_count: p.templateCount
  })
})

const orRepoError = (operation: string) => Effect.mapError((cause: unknown) => new RepoError({ operation, cause }))

/** The `ProfileRepo` port on any Postgres `SqlClient`; counts come from the rows, on the per-user indexes. */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  const find = SqlSchema.findOne({
    Request: UserId,
    Result: ProfileFromRow,
    execute: (id) => sql`
      SELECT u.id, u.email, u.display_name, u.onboarded, u.email_template, u.created_at,
             (SELECT count(*) FROM emails e WHERE e.user_id = u.id) AS generation_count,
             (SELECT count(*) FROM resume_templates t WHERE t.user_id = u.id) AS template_count
      FROM users u WHERE u.id = ${id}`
  })

  const upsert = SqlSchema.void({
    Request: Schema.Struct({
      id: UserId,
      email: Schema.NullOr(Schema.String),
      displayName: Schema.NullOr(Schema.String),
      now: Schema.DateFromSelf
    }),
    execute: ({ id, email, displayName, now }) => sql`
      INSERT INTO users (id, email, created_at, display_name) VALUES (${id}, ${email}, ${now}, ${displayName})
      ON CONFLICT (id) DO UPDATE
        SET display_name = COALESCE(users.display_name, EXCLUDED.display_name), email = EXCLUDED.email
      WHERE users.display_name IS NULL OR users.email IS DISTINCT FROM EXCLUDED.email`
  })

  const setOnboarded = SqlSchema.void({
    Request: UserId,
    execute: (id) => sql`UPDATE users SET onboarded = true WHERE id = ${id} AND NOT onboarded`
  })

  const setTemplate = SqlSchema.void({
    Request: Schema.Struct({ id: UserId, template: Schema.String }),
    execute: ({ id, template }) => sql`UPDATE users SET email_template = ${template} WHERE id = ${id}`
  })

  return ProfileRepo.of({
    find: (userId) => find(userId).pipe(orRepoError("findProfile"), Effect.withSpan("ProfileRepo.find")),
    initialize: (user, displayName, now) =>
      upsert({ id: user.id, email: user.email, displayName, now }).pipe(
        Effect.zipRight(find(user.id)),
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.fail(new Error(`user ${user.id} vanished after its upsert`)),
            onSome: Effect.succeed
          })
        ),
        orRepoError("initializeProfile"),
        Effect.withSpan("ProfileRepo.initialize")
      ),
    markOnboarded: (userId) =>
      setOnboarded(userId).pipe(
        Effect.zipRight(find(userId)),
        orRepoError("markOnboarded"),
        Effect.withSpan("ProfileRepo.markOnboarded")
      ),
    saveTemplate: (userId, template) =>
      setTemplate({ id: userId, template }).pipe(
        Effect.zipRight(find(userId)),
        orRepoError("saveTemplate"),
        Effect.withSpan("ProfileRepo.saveTemplate")
      )
  })
})

export const layer: Layer.Layer<ProfileRepo, never, SqlClient.SqlClient> = Layer.effect(ProfileRepo, make)
