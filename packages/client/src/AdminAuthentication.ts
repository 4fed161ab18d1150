import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import * as AdminAccess from "@scribe/core/admin/AdminAccess"
import { Schema } from "effect"
import { AdminRequired } from "./AccountErrors"
import { detailError, UnauthorizedError } from "./ApiErrors"
import { CurrentUser } from "./Authentication"

export const adminRequiredSentence = "Admin access required"
/** 403: a valid token, but not an operator's (no `app_metadata.role` "admin", email not in `SCRIBE_ADMIN_EMAILS`). */
export const AdminRequiredError = detailError(AdminAccess.AdminRequired, {
  raised: AdminRequired,
  status: 403,
  description: "The caller is signed in but is not an operator",
  parse: (detail) => (detail === adminRequiredSentence ? new AdminRequired() : undefined)
})

/** Bearer JWT of an operator: `app_metadata.role = "admin"`, or an email listed in `SCRIBE_ADMIN_EMAILS`. */
export class AdminAuthentication extends HttpApiMiddleware.Tag<AdminAuthentication>()(
  "@scribe/client/AdminAuthentication",
  {
    failure: Schema.Union(UnauthorizedError, AdminRequiredError),
    provides: CurrentUser,
    security: { bearer: HttpApiSecurity.bearer }
  }
) {}
