import { Schema } from "effect"
import { UserId } from "../Ids"

/** The caller, as established by a verified access token. */
export class AuthUser extends Schema.Class<AuthUser>("AuthUser")({
  id: UserId,
  email: Schema.NullOr(Schema.String)
}) {}
