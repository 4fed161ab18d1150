import { SqlClient, SqlSchema } from "@effect/sql"
import { UserId } from "@scribe/core/Ids"
import { RepoError } from "@scribe/core/store/Repo"
import { TemplateGenerator, TemplateId, TemplateRecord } from "@scribe/core/templates/TemplateRecord"
import { TemplateStore } from "@scribe/core/templates/TemplateStore"
import { Effect, Layer, Option, Schema } from "effect"

const Count = Schema.Union(Schema.Number, Schema.NumberFromString)

const TemplateRow = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  pdf_url: Schema.NullOr(Schema.String),
  template_text: Schema.String,
  user_instructions: Schema.String,
  generator: TemplateGenerator,
  created_at: Schema.DateFromSelf
})

const TemplateFromRow = Schema.transform(TemplateRow, TemplateRecord, {
  strict: true,
  decode: (r) => ({
    id: r.id,
    userId: r.user_id,
    pdfUrl: r.pdf_url,
    templateText: r.template_text,
    userInstructions: r.user_instructions,
    generator: r.generator,
    createdAt: r.created_at
  }),
  encode: (t) => ({
    id: t.id,
    user_id: t.userId,
    pdf_url: t.pdfUrl,
    template_text: t.templateText,
    user_instructions: t.userInstructions,
    generator: t.generator,
    created_at: t.createdAt
  })
})

const orRepoError = (operation: string) => Effect.mapError((cause: unknown) => new RepoError({ operation, cause }))

/** The `TemplateStore` port on any Postgres `SqlClient` (table `resume_templates`, migration 0009). */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()

  // The user's row is the lock that serialises their template inserts: the count below sees every committed insert.
  const lockUser = SqlSchema.findOne({
    Request: UserId,
    Result: Schema.Struct({ id: Schema.String }),
    execute: (id) => sql`SELECT id FROM users WHERE id = ${id} FOR UPDATE`
  })

  const count = SqlSchema.single({
    Request: UserId,
    Result: Schema.Struct({ n: Count }),
    execute: (id) => sql`SELECT count(*) AS n FROM resume_templates WHERE user_id = ${id}`
  })

  const insert = SqlSchema.void({
    Request: TemplateRecord,
    execute: (t) => sql`
      INSERT INTO resume_templates (id, user_id, pdf_url, template_text, user_instructions, generator, created_at)
      VALUES (${t.id}, ${t.userId}, ${t.pdfUrl}, ${t.templateText}, ${t.userInstructions}, ${t.generator},
              ${t.createdAt})`
  })

  const find = SqlSchema.findOne({
    Request: Schema.Struct({ userId: UserId, id: TemplateId }),
    Result: TemplateFromRow,
    execute: ({ userId, id }) => sql`SELECT * FROM resume_templates WHERE id = ${id} AND user_id = ${userId}`
  })

  const list = SqlSchema.findAll({
    Request: Schema.Struct({ userId: UserId, limit: Schema.Number, offset: Schema.Number }),
    Result: TemplateFromRow,
    execute: ({ userId, limit, offset }) => sql`
      SELECT * FROM resume_templates WHERE user_id = ${userId}
      ORDER BY created_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`
  })

  return TemplateStore.of({
    insertWithinLimit: (template, max) =>
      Effect.gen(function* () {
        if (Option.isNone(yield* lockUser(template.userId))) {
          return yield* Effect.fail(new Error(`no user ${template.userId} to own the template`))
        }
        const { n } = yield* count(template.userId)
        if (n >= max) return { _tag: "LimitReached" as const }
        yield* insert(template)
        return { _tag: "Inserted" as const }
      }).pipe(sql.withTransaction, orRepoError("insertTemplate"), Effect.withSpan("TemplateStore.insertWithinLimit")),
    count: (userId) =>
      count(userId).pipe(
        Effect.map(({ n }) => n),
        orRepoError("countTemplates"),
        Effect.withSpan("TemplateStore.count")
      ),
    find: (userId, id) => find({ userId, id }).pipe(orRepoError("findTemplate"), Effect.withSpan("TemplateStore.find")),
    list: (userId, page) =>
      list({ userId, ...page }).pipe(orRepoError("listTemplates"), Effect.withSpan("TemplateStore.list"))
  })
})

export const layer: Layer.Layer<TemplateStore, never, SqlClient.SqlClient> = Layer.effect(TemplateStore, make)
