import * as AdminAccess from "@scribe/core/admin/AdminAccess"
import * as TemplateRecord from "@scribe/core/templates/TemplateRecord"
import * as Profile from "@scribe/core/users/Profile"
import { raisedAs } from "./ServiceErrors"

/**
 * The profile, template and admin errors as the SDK raises them (see `ServiceErrors`): the core error plus the HTTP
 * status it travels with and, as `message`, the service's `detail` sentence.
 */

/** 404: no such user. */
export class UserNotFound extends raisedAs(Profile.UserNotFound, 404, () => "User not found") {}

/** 400: the résumé could not be fetched or read, or no acceptable template was written; nothing was stored. */
export class TemplateGenerationFailed extends raisedAs(
  TemplateRecord.TemplateGenerationFailed,
  400,
  (error) => `Template generation failed: ${error.reason}`
) {}

/** 429: the caller already has as many templates as allowed. */
export class TemplateLimitReached extends raisedAs(
  TemplateRecord.TemplateLimitReached,
  429,
  (error) => `Template generation limit reached. Maximum ${error.max} templates allowed per user.`
) {}

/** 400: the template id is not a UUID. */
export class InvalidTemplateId extends raisedAs(
  TemplateRecord.InvalidTemplateId,
  400,
  (error) => `Invalid template ID format: ${error.reason}`
) {}

/** 404: no such template among the caller's. */
export class TemplateNotFound extends raisedAs(TemplateRecord.TemplateNotFound, 404, () => "Template not found") {}

/** 403: signed in, but not an operator. */
export class AdminRequired extends raisedAs(AdminAccess.AdminRequired, 403, () => "Admin access required") {}
