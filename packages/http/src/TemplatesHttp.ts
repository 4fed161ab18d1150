import { HttpApiBuilder, type HttpServerRequest, Multipart } from "@effect/platform"
import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import { CreateTemplateRequest, type TemplateResponse } from "@scribe/client/TemplatesApi"
import { allErrors } from "@scribe/client/Wire"
import { maxPdfBytes } from "@scribe/core/templates/PdfFetcher"
import { TemplateGenerationFailed, type TemplateRecord, UserInstructions } from "@scribe/core/templates/TemplateRecord"
import * as Templates from "@scribe/core/templates/TemplateUseCases"
import { Effect, Option, Schema, Stream } from "effect"
import { orInternal } from "./Internal"

export const templateResponse = (t: TemplateRecord): typeof TemplateResponse.Type => ({
  id: t.id,
  user_id: t.userId,
  pdf_url: t.pdfUrl,
  template_text: t.templateText,
  user_instructions: t.userInstructions,
  generator: t.generator,
  created_at: t.createdAt
})

const decodeJson = Schema.decodeUnknown(CreateTemplateRequest)

/** An upload's fields once read: the file's bytes and the other fields' text. */
const Upload = Schema.Struct({
  file: Schema.Uint8ArrayFromSelf.annotations({ message: () => "Value error, Expected a PDF file" }),
  user_instructions: UserInstructions
}).annotations(allErrors)
const decodeUpload = Schema.decodeUnknown(Upload)

const tooLarge = new TemplateGenerationFailed({ reason: `the PDF is larger than ${maxPdfBytes / (1024 * 1024)} MB` })

/** The most an upload may send: a file over `maxPdfBytes` is read to its end (then refused) only up to this. */
const maxUploadBytes = 32 * 1024 * 1024

/**
 * A file part's bytes, kept up to `maxPdfBytes`; past it the rest is read and dropped (so the answer reaches a client
 * still sending) and the file is refused.
 */
const readFile = (content: Stream.Stream<Uint8Array, Multipart.MultipartError>) =>
  Stream.runFold(content, { chunks: [] as Array<Uint8Array>, size: 0 }, (file, chunk) => {
    const size = file.size + chunk.byteLength
    if (size <= maxPdfBytes) file.chunks.push(chunk)
    return { chunks: file.chunks, size }
  }).pipe(
    Effect.flatMap((file) =>
      file.size > maxPdfBytes ? Effect.fail(tooLarge) : Effect.succeed(Buffer.concat(file.chunks))
    )
  )

/**
 * The fields of a `multipart/form-data` body: text fields as strings, the `file` part's bytes (see `readFile`); a
 * body over `maxUploadBytes` is refused at once.
 */
const readParts = (request: HttpServerRequest.HttpServerRequest) =>
  request.multipartStream.pipe(
    Multipart.withLimitsStream({
      maxParts: Option.some(8),
      maxFieldSize: 64 * 1024,
      maxFileSize: Option.none(),
      maxTotalSize: Option.some(maxUploadBytes)
    }),
    Stream.runFoldEffect({} as Record<string, unknown>, (fields, part) =>
      part._tag === "Field"
        ? Effect.succeed({ ...fields, [part.key]: part.value })
        : part.key === "file" && !("file" in fields)
          ? Effect.map(readFile(part.content), (file) => ({ ...fields, file }))
          : Effect.as(Stream.runDrain(part.content), fields)
    ),
    Effect.catchTag("MultipartError", (error) =>
      Effect.fail(
        error.reason === "FileTooLarge" || error.reason === "BodyTooLarge"
          ? tooLarge
          : new TemplateGenerationFailed({ reason: `the upload could not be read (${error.reason})` })
      )
    )
  )

/**
 * The résumé source of a create request: JSON `{pdf_url, user_instructions}`, or a multipart upload (`file`,
 * `user_instructions`). Decoded here rather than by HttpApi, which decodes the payload before choosing by content
 * type; invalid fields still answer 422 through the same error mapping.
 */
const readSubmission = (request: HttpServerRequest.HttpServerRequest) =>
  (request.headers["content-type"] ?? "").toLowerCase().includes("multipart/form-data")
    ? Effect.flatMap(readParts(request), decodeUpload).pipe(
        Effect.map((u) => ({ source: { _tag: "Upload" as const, pdf: u.file }, instructions: u.user_instructions })),
        Effect.catchTag("ParseError", HttpApiDecodeError.refailParseError)
      )
    : Effect.flatMap(Effect.orDie(request.json), decodeJson).pipe(
        Effect.map((j) => ({ source: { _tag: "Url" as const, url: j.pdf_url }, instructions: j.user_instructions })),
        Effect.catchTag("ParseError", HttpApiDecodeError.refailParseError)
      )

export const TemplatesHttpLive = HttpApiBuilder.group(ScribeApi, "templates", (handlers) =>
  Effect.succeed(
    handlers
      .handleRaw("create", ({ request }) =>
        Effect.gen(function* () {
          const user = yield* CurrentUser
          const { source, instructions } = yield* readSubmission(request)
          return templateResponse(yield* Templates.create(user, source, instructions))
        }).pipe(orInternal)
      )
      .handle("list", ({ urlParams }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Templates.list(user, urlParams)),
          Effect.map((templates) => templates.map(templateResponse)),
          orInternal
        )
      )
      .handle("get", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Templates.get(user, path.template_id)),
          Effect.map(templateResponse),
          orInternal
        )
      )
  )
)
