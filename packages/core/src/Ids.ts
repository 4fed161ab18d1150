import { Schema } from "effect"

/** A user's id: the `sub` claim of their Supabase JWT. */
export const UserId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(255), Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/** A job (queue item, task) id. */
export const JobId = Schema.UUID.pipe(Schema.brand("JobId"))
export type JobId = typeof JobId.Type

export const EmailId = Schema.UUID.pipe(Schema.brand("EmailId"))
export type EmailId = typeof EmailId.Type

export const BatchId = Schema.UUID.pipe(Schema.brand("BatchId"))
export type BatchId = typeof BatchId.Type

const uuidShape = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/**
 * Parses a UUID as Python's `uuid.UUID(str)` would (hyphens optional, any case, braces and `urn:uuid:` allowed),
 * returning the canonical lower-case hyphenated form, or the reason it is not one.
 */
export const parseUuid = (
  input: string
): { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string } => {
  let hex = input.trim()
  if (hex.toLowerCase().startsWith("urn:uuid:")) hex = hex.slice(9)
  if (hex.startsWith("{") && hex.endsWith("}")) hex = hex.slice(1, -1)
  if (!uuidShape.test(hex)) return { ok: false, reason: "badly formed hexadecimal UUID string" }
  const h = hex.replaceAll("-", "").toLowerCase()
  return {
    ok: true,
    value: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
}
