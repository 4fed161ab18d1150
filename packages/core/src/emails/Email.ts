import { Schema } from "effect"
import { EmailId, JobId, UserId } from "../Ids"
import { RecipientInterest, RecipientName, TemplateType } from "../templates/Template"

/** A generated email. `displayed = false` marks it discarded by its owner. */
export class Email extends Schema.Class<Email>("Email")({
  id: EmailId,
  userId: UserId,
  jobId: Schema.NullOr(JobId),
  recipientName: RecipientName,
  recipientInterest: RecipientInterest,
  emailMessage: Schema.String,
  templateType: Schema.NullOr(TemplateType),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  isConfident: Schema.Boolean,
  displayed: Schema.Boolean,
  createdAt: Schema.DateFromSelf
}) {}

export const EmailPage = Schema.Struct({
  limit: Schema.Int.pipe(Schema.between(1, 100)),
  offset: Schema.Int.pipe(Schema.nonNegative()),
  includeDiscarded: Schema.Boolean
})
export type EmailPage = typeof EmailPage.Type

export class EmailNotFound extends Schema.TaggedError<EmailNotFound>()("EmailNotFound", {
  id: Schema.String
}) {}

export class InvalidEmailId extends Schema.TaggedError<InvalidEmailId>()("InvalidEmailId", {
  input: Schema.String,
  reason: Schema.String
}) {}
