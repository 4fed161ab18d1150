import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  EmailNotFoundError,
  IdempotencyKeyReusedError,
  InternalServerErrorBody,
  InvalidEmailIdError,
  SubmissionRateLimitedError,
  TaskNotFoundError,
  TooManyActiveJobsError,
  ValidationErrorBody
} from "./ApiErrors"
import { Authentication } from "./Authentication"
import {
  EmailResponse,
  GenerateEmailRequest,
  GenerateEmailResponse,
  IdempotencyHeaders,
  ListEmailsParams,
  TaskStatusResponse,
  UpdateEmailRequest
} from "./Wire"

const emailIdPath = Schema.Struct({ email_id: Schema.String })

/** Single-email generation (a background task) and the caller's stored emails. */
export class EmailApi extends HttpApiGroup.make("email")
  .add(
    HttpApiEndpoint.post("generate", "/generate")
      .setPayload(GenerateEmailRequest)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(GenerateEmailResponse, { status: 202 })
      .addError(IdempotencyKeyReusedError)
      .addError(TooManyActiveJobsError)
      .addError(SubmissionRateLimitedError)
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "Queue the generation of one email; poll its task status every 2 s")
  )
  .add(
    HttpApiEndpoint.get("status", "/status/:task_id")
      .setPath(Schema.Struct({ task_id: Schema.String }))
      .addSuccess(TaskStatusResponse)
      .annotate(OpenApi.Summary, "A generation task's status; 404 once finished for more than an hour")
      .addError(TaskNotFoundError)
  )
  .add(
    HttpApiEndpoint.get("list", "/")
      .setUrlParams(ListEmailsParams)
      .addSuccess(Schema.Array(EmailResponse))
      .annotate(OpenApi.Summary, "The caller's emails, newest first")
      .addError(ValidationErrorBody)
  )
  .add(
    HttpApiEndpoint.get("get", "/:email_id")
      .setPath(emailIdPath)
      .addSuccess(EmailResponse)
      .addError(InvalidEmailIdError)
      .addError(EmailNotFoundError)
  )
  .add(
    HttpApiEndpoint.patch("update", "/:email_id")
      .setPath(emailIdPath)
      .setPayload(UpdateEmailRequest)
      .addSuccess(EmailResponse)
      .addError(InvalidEmailIdError)
      .addError(EmailNotFoundError)
      .addError(ValidationErrorBody)
  )
  .addError(InternalServerErrorBody)
  .middleware(Authentication)
  .prefix("/api/email") {}
