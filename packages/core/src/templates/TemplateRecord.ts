import { Schema } from "effect"
import { UserId } from "../Ids"

export const TemplateId = Schema.UUID.pipe(Schema.brand("TemplateId"))
export type TemplateId = typeof TemplateId.Type

/** Who wrote a template: the language model, or the deterministic builder (no model configured). */
export const TemplateGenerator = Schema.Literal("llm", "deterministic")
export type TemplateGenerator = typeof TemplateGenerator.Type

/** What the student asks of their template (tone, length, what to stress): 10–2000 characters. */
export const UserInstructions = Schema.String.pipe(
  Schema.minLength(10, { message: () => "String should have at least 10 characters" }),
  Schema.maxLength(2000, { message: () => "String should have at most 2000 characters" }),
  Schema.filter((s) => !s.includes("\u0000"), {
    message: () => "Value error, String must not contain NUL characters"
  })
)

/** Where the résumé PDF is: an http(s) URL, at most 2048 characters. */
export const PdfUrl = Schema.String.pipe(
  Schema.minLength(1, { message: () => "String should have at least 1 character" }),
  Schema.maxLength(2048, { message: () => "String should have at most 2048 characters" })
)

/** An email template written from a student's résumé. */
export class TemplateRecord extends Schema.Class<TemplateRecord>("TemplateRecord")({
  id: TemplateId,
  userId: UserId,
  /** The résumé's URL; `null` when the PDF was uploaded. */
  pdfUrl: Schema.NullOr(Schema.String),
  templateText: Schema.String,
  userInstructions: Schema.String,
  generator: TemplateGenerator,
  createdAt: Schema.DateFromSelf
}) {}

export const TemplatePage = Schema.Struct({
  limit: Schema.Int.pipe(Schema.between(1, 100)),
  offset: Schema.Int.pipe(Schema.nonNegative())
})
export type TemplatePage = typeof TemplatePage.Type

export class TemplateNotFound extends Schema.TaggedError<TemplateNotFound>()("TemplateNotFound", {
  id: Schema.String
}) {}

export class InvalidTemplateId extends Schema.TaggedError<InvalidTemplateId>()("InvalidTemplateId", {
  input: Schema.String,
  reason: Schema.String
}) {}

/** No template could be made: the PDF could not be had or read, or no acceptable template was written. */
export class TemplateGenerationFailed extends Schema.TaggedError<TemplateGenerationFailed>()(
  "TemplateGenerationFailed",
  { reason: Schema.String }
) {}

/** The user has as many templates as allowed. */
export class TemplateLimitReached extends Schema.TaggedError<TemplateLimitReached>()("TemplateLimitReached", {
  max: Schema.Number
}) {}
