import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import * as Profile from "@scribe/core/users/Profile"
import { DisplayName, ProfileTemplate } from "@scribe/core/users/Profile"
import { Schema } from "effect"
import { UserNotFound } from "./AccountErrors"
import { detailError, InternalServerErrorBody, ValidationErrorBody } from "./ApiErrors"
import { Authentication } from "./Authentication"
import { allErrors, Timestamp } from "./Wire"

export const userNotFoundSentence = "User not found"
/** 404: no such user (the caller's account is gone, or an operator asked for an unknown id). */
export const UserNotFoundError = detailError(Profile.UserNotFound, {
  raised: UserNotFound,
  status: 404,
  description: "No such user",
  parse: (detail) => (detail === userNotFoundSentence ? new UserNotFound({ id: "" }) : undefined)
})

/** A user's profile, with counts computed from their stored emails and templates. */
export const UserResponse = Schema.Struct({
  id: Schema.String,
  email: Schema.NullOr(Schema.String),
  display_name: Schema.NullOr(Schema.String),
  generation_count: Schema.Int.annotations({ description: "Emails generated (stored) for the user" }),
  template_count: Schema.Int.annotations({ description: "Templates generated from the user's résumé" }),
  onboarded: Schema.Boolean,
  email_template: Schema.NullOr(Schema.String).annotations({ description: "The template kept in the profile" }),
  created_at: Timestamp
}).annotations({ identifier: "UserResponse" })

export const InitUserRequest = Schema.Struct({
  display_name: Schema.optionalWith(Schema.NullOr(DisplayName), { default: () => null }).annotations({
    description: "1–255 characters; kept only if the profile has no display name yet"
  })
}).annotations({ identifier: "InitUserRequest", ...allErrors })

export const UpdateTemplateRequest = Schema.Struct({
  template: ProfileTemplate.annotations({
    description: "1–10 000 characters (code points), not only whitespace",
    jsonSchema: { type: "string", minLength: 1, maxLength: 10_000 }
  })
}).annotations({ identifier: "UpdateTemplateRequest", ...allErrors })

/** The caller's profile (users are created on their first authenticated request). */
export class UserApi extends HttpApiGroup.make("user")
  .add(
    HttpApiEndpoint.post("init", "/init")
      .setPayload(InitUserRequest)
      .addSuccess(UserResponse, { status: 201 })
      .addError(ValidationErrorBody)
      .annotate(
        OpenApi.Summary,
        "Set up the caller's profile with a display name; idempotent (a second call returns the profile unchanged)"
      )
  )
  .add(
    HttpApiEndpoint.get("profile", "/profile")
      .addSuccess(UserResponse)
      .addError(UserNotFoundError)
      .annotate(OpenApi.Summary, "The caller's profile")
  )
  .add(
    HttpApiEndpoint.patch("onboarding", "/onboarding")
      .addSuccess(UserResponse)
      .addError(UserNotFoundError)
      .annotate(OpenApi.Summary, "Mark the caller as onboarded")
  )
  .add(
    HttpApiEndpoint.patch("template", "/template")
      .setPayload(UpdateTemplateRequest)
      .addSuccess(UserResponse)
      .addError(UserNotFoundError)
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "Keep an email template in the caller's profile")
  )
  .addError(InternalServerErrorBody)
  .middleware(Authentication)
  .prefix("/api/user") {}
