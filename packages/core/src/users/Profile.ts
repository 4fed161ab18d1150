import { Schema } from "effect"
import { UserId } from "../Ids"

/** Length in code points, as Python's `len` counts (an emoji is one character, not two UTF-16 units). */
export const codePointLength = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}

const noNul = { message: () => "Value error, String must not contain NUL characters" }

/** The name a user goes by, as given at sign-up: 1–255 characters, not blank. */
export const DisplayName = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "String should have at least 1 character" }),
  Schema.filter((s) => codePointLength(s) <= 255, { message: () => "String should have at most 255 characters" }),
  Schema.filter((s) => !s.includes("\u0000"), noNul)
)

/** The email template a user keeps in their profile: 1–10 000 characters (code points), not only whitespace. */
export const ProfileTemplate = Schema.String.pipe(
  Schema.filter((s) => s.length > 0, { message: () => "String should have at least 1 character" }),
  Schema.filter((s) => codePointLength(s) <= 10_000, { message: () => "String should have at most 10000 characters" }),
  Schema.filter((s) => s.trim().length > 0, { message: () => "Value error, Template must not be only whitespace" }),
  Schema.filter((s) => !s.includes("\u0000"), noNul)
)

/** A user's profile: who they are, what they keep, and what they have produced (counted, never kept as counters). */
export class Profile extends Schema.Class<Profile>("Profile")({
  id: UserId,
  email: Schema.NullOr(Schema.String),
  displayName: Schema.NullOr(Schema.String),
  /** Emails generated for the user: the emails stored for them, counted when read. */
  generationCount: Schema.NonNegativeInt,
  /** Templates generated from the user's résumé. */
  templateCount: Schema.NonNegativeInt,
  onboarded: Schema.Boolean,
  emailTemplate: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf
}) {}

/** No user with this id (the store was reset under a signed-in user, or an admin asked for an unknown one). */
export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  id: Schema.String
}) {}
