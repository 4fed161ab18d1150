import { Schema } from "effect"
import { UserId } from "../Ids"

/** The caller, as established by a verified access token. */
export class AuthUser extends Schema.Class<AuthUser>("AuthUser")({
  id: UserId,
  email: Schema.NullOr(Schema.String),
  /** The application role the auth provider assigned (Supabase `app_metadata.role`), when there is one. */
  appRole: Schema.optional(Schema.String)
}) {}
