import * as AdminAccess from "@scribe/core/admin/AdminAccess"
import * as TemplateRecord from "@scribe/core/templates/TemplateRecord"
import * as Profile from "@scribe/core/users/Profile"

/**
 * The profile, template and admin errors as the SDK raises them (see `ServiceErrors`): the core error plus the HTTP
 * status it travels with and, as `message`, the service's `detail` sentence.
 */

/** 404: no such user. */
export class UserNotFound extends Profile.UserNotFound {
  get httpStatus(): 404 {
    return 404
  }
  override get message(): string {
    return "User not found"
  }
}

/** 400: the résumé could not be fetched or read, or no acceptable template was written; nothing was stored. */
export class TemplateGenerationFailed extends TemplateRecord.TemplateGenerationFailed {
  get httpStatus(): 400 {
    return 400
  }
  override get message(): string {
    return `Template generation failed: ${this.reason}`
  }
}

/** 429: the caller already has as many templates as allowed. */
export class TemplateLimitReached extends TemplateRecord.TemplateLimitReached {
  get httpStatus(): 429 {
    return 429
  }
  override get message(): string {
    return `Template generation limit reached. Maximum ${this.max} templates allowed per user.`
  }
}

/** 400: the template id is not a UUID. */
export class InvalidTemplateId extends TemplateRecord.InvalidTemplateId {
  get httpStatus(): 400 {
    return 400
  }
  override get message(): string {
    return `Invalid template ID format: ${this.reason}`
  }
}

/** 404: no such template among the caller's. */
export class TemplateNotFound extends TemplateRecord.TemplateNotFound {
  get httpStatus(): 404 {
    return 404
  }
  override get message(): string {
    return "Template not found"
  }
}

/** 403: signed in, but not an operator. */
export class AdminRequired extends AdminAccess.AdminRequired {
  get httpStatus(): 403 {
    return 403
  }
  override get message(): string {
    return "Admin access required"
  }
}
