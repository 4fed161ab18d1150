import { Config, Context, Effect, Layer, Schema } from "effect"
import type { AuthUser } from "../auth/AuthUser"

/**
 * Who operates the service: a user whose token carries the application role `admin` (Supabase
 * `app_metadata.role`, which only the project's service role can set), or whose token's email is listed here.
 */
export class AdminAccess extends Context.Tag("@scribe/core/AdminAccess")<
  AdminAccess,
  { readonly emails: ReadonlySet<string> }
>() {}

/** The caller is not an operator. */
export class AdminRequired extends Schema.TaggedError<AdminRequired>()("AdminRequired", {}) {}

const normalise = (email: string) => email.trim().toLowerCase()

export const isAdmin = (user: AuthUser, emails: ReadonlySet<string>): boolean =>
  user.appRole === "admin" || (user.email !== null && emails.has(normalise(user.email)))

/** Fails with `AdminRequired` unless the caller is an operator. */
export const requireAdmin = Effect.fn("Admin.requireAdmin")(function* (user: AuthUser) {
  const { emails } = yield* AdminAccess
  if (!isAdmin(user, emails)) return yield* new AdminRequired()
})

export const layer = (emails: Iterable<string>): Layer.Layer<AdminAccess> =>
  Layer.succeed(AdminAccess, {
    emails: new Set(Array.from(emails, normalise).filter((e) => e.length > 0))
  })

/** Reads `SCRIBE_ADMIN_EMAILS`: operators' emails, separated by commas or whitespace (default none). */
export const layerConfig = Layer.unwrapEffect(
  Effect.map(Config.string("SCRIBE_ADMIN_EMAILS").pipe(Config.withDefault("")), (list) => layer(list.split(/[\s,]+/)))
)
