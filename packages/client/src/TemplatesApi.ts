import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, Multipart, OpenApi } from "@effect/platform"
import * as TemplateRecord from "@scribe/core/templates/TemplateRecord"
import { PdfUrl, TemplateGenerator, UserInstructions } from "@scribe/core/templates/TemplateRecord"
import { Schema } from "effect"
import { InvalidTemplateId, TemplateGenerationFailed, TemplateLimitReached, TemplateNotFound } from "./AccountErrors"
import { detailError, InternalServerErrorBody, ValidationErrorBody } from "./ApiErrors"
import { Authentication } from "./Authentication"
import { QueryParam } from "./QueryParam"
import { allErrors, Timestamp } from "./Wire"

const generationFailedPrefix = "Template generation failed: "
/** 400: the résumé could not be fetched or read, or no acceptable template was written; nothing was stored. */
export const TemplateGenerationFailedError = detailError(TemplateRecord.TemplateGenerationFailed, {
  raised: TemplateGenerationFailed,
  status: 400,
  description:
    "The PDF could not be had or read (not a PDF, encrypted, no text, over 10 MB, unreachable or refused) or no " +
    "acceptable template was written; nothing was stored",
  parse: (detail) =>
    detail.startsWith(generationFailedPrefix)
      ? new TemplateGenerationFailed({ reason: detail.slice(generationFailedPrefix.length) })
      : undefined
})

const limitPattern = /^Template generation limit reached\. Maximum (\d+) templates allowed per user\.$/
/** 429: the caller already has as many templates as allowed (`SCRIBE_TEMPLATE_LIMIT`, 5 by default). */
export const TemplateLimitReachedError = detailError(TemplateRecord.TemplateLimitReached, {
  raised: TemplateLimitReached,
  status: 429,
  description: "The caller already has the maximum number of templates (SCRIBE_TEMPLATE_LIMIT, default 5)",
  parse: (detail) => {
    const max = limitPattern.exec(detail)?.[1]
    return max === undefined ? undefined : new TemplateLimitReached({ max: Number(max) })
  }
})

const invalidIdPrefix = "Invalid template ID format: "
export const InvalidTemplateIdError = detailError(TemplateRecord.InvalidTemplateId, {
  raised: InvalidTemplateId,
  status: 400,
  description: "The template id is not a UUID",
  parse: (detail) =>
    detail.startsWith(invalidIdPrefix)
      ? new InvalidTemplateId({ input: "", reason: detail.slice(invalidIdPrefix.length) })
      : undefined
})

export const templateNotFoundSentence = "Template not found"
export const TemplateNotFoundError = detailError(TemplateRecord.TemplateNotFound, {
  raised: TemplateNotFound,
  status: 404,
  description: "No such template among the caller's",
  parse: (detail) => (detail === templateNotFoundSentence ? new TemplateNotFound({ id: "" }) : undefined)
})

/** An email template written from a résumé. */
export const TemplateResponse = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  pdf_url: Schema.NullOr(Schema.String).annotations({ description: "The résumé's URL; null when it was uploaded" }),
  template_text: Schema.String,
  user_instructions: Schema.String,
  generator: TemplateGenerator.annotations({
    description:
      "`llm`: written by the language model; `deterministic`: built from the résumé's sections without a model " +
      "(none configured), the instructions not applied"
  }),
  created_at: Timestamp
}).annotations({ identifier: "TemplateResponse" })

const instructions = UserInstructions.annotations({
  description: "What the template should stress, its tone or length: 10–2000 characters",
  jsonSchema: { type: "string", minLength: 10, maxLength: 2000 }
})

/** The résumé by URL, fetched by the service (public http/https only, at most 10 MB). */
export const CreateTemplateRequest = Schema.Struct({
  pdf_url: PdfUrl.annotations({ jsonSchema: { type: "string", format: "uri", maxLength: 2048 } }),
  user_instructions: instructions
}).annotations({ identifier: "CreateTemplateRequest", ...allErrors })

/** The résumé itself, uploaded as `multipart/form-data` (field `file`, at most 10 MB), for deployments without storage. */
export const UploadTemplateRequest = HttpApiSchema.Multipart(
  Schema.Struct({ file: Multipart.SingleFileSchema, user_instructions: instructions }).annotations({
    identifier: "UploadTemplateRequest"
  })
)

export const ListTemplatesParams = Schema.Struct({
  limit: QueryParam("limit", { min: 1, max: 100, default: 20, description: "Page size, 1–100" }),
  offset: QueryParam("offset", { min: 0, default: 0, description: "Templates to skip" })
}).annotations(allErrors)

/** Email templates written from the caller's résumé (PDF), in their voice. */
export class TemplatesApi extends HttpApiGroup.make("templates")
  .add(
    HttpApiEndpoint.post("create", "/")
      .setPayload(Schema.Union(CreateTemplateRequest, UploadTemplateRequest))
      .addSuccess(TemplateResponse, { status: 201 })
      .addError(TemplateGenerationFailedError)
      .addError(TemplateLimitReachedError)
      .addError(ValidationErrorBody)
      .annotate(
        OpenApi.Summary,
        "Write an email template from the caller's résumé PDF, by URL (JSON) or uploaded (multipart, field `file`)"
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/")
      .setUrlParams(ListTemplatesParams)
      .addSuccess(Schema.Array(TemplateResponse))
      .addError(ValidationErrorBody)
      .annotate(OpenApi.Summary, "The caller's templates, newest first")
  )
  .add(
    HttpApiEndpoint.get("get", "/:template_id")
      .setPath(Schema.Struct({ template_id: Schema.String }))
      .addSuccess(TemplateResponse)
      .addError(InvalidTemplateIdError)
      .addError(TemplateNotFoundError)
      .annotate(OpenApi.Summary, "One of the caller's templates")
  )
  .addError(InternalServerErrorBody)
  .middleware(Authentication)
  .prefix("/api/templates") {}
