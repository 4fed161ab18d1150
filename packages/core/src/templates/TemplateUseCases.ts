import { Effect, Option } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import { parseUuid } from "../Ids"
import { currentDate, randomUuid } from "../Now"
import type { UpstreamError } from "../upstream/UpstreamError"
import { maxPdfBytes, PdfFetcher } from "./PdfFetcher"
import { PdfText, type PdfUnreadable } from "./PdfText"
import { TemplateLimit } from "./TemplateLimit"
import {
  InvalidTemplateId,
  TemplateGenerationFailed,
  TemplateId,
  TemplateLimitReached,
  TemplateNotFound,
  type TemplatePage,
  TemplateRecord
} from "./TemplateRecord"
import { TemplateStore } from "./TemplateStore"
import { TemplateWriter } from "./TemplateWriter"

/** Where the résumé comes from: a URL fetched safely, or the PDF itself, uploaded. */
export type ResumeSource =
  | { readonly _tag: "Url"; readonly url: string }
  | { readonly _tag: "Upload"; readonly pdf: Uint8Array }

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`

/** Fetch failures read as the end of "Template generation failed: …" (the fetcher words refusals that way). */
const fetchFailure = (error: UpstreamError): string =>
  error.kind === "blocked" || error.kind === "invalid_request"
    ? error.message
    : `the PDF could not be fetched (${error.message})`

const unreadable = (error: PdfUnreadable): string => {
  switch (error.problem) {
    case "not_pdf":
      return "the file is not a PDF"
    case "encrypted":
      return "the PDF is encrypted"
    case "no_text":
      return "the PDF has no extractable text (a scanned document?)"
    case "damaged":
      return `the PDF could not be read (${error.message})`
  }
}

const failed = (reason: string) => new TemplateGenerationFailed({ reason })

/**
 * Writes an email template from the caller's résumé and stores it. Refused with `TemplateLimitReached` once the user
 * has the allowed number (checked first, then again in the insert's transaction, so concurrent requests cannot pass
 * it); any failure to get, read or write stores nothing.
 */
export const create = Effect.fn("Templates.create")(function* (
  user: AuthUser,
  source: ResumeSource,
  instructions: string
) {
  const store = yield* TemplateStore
  const { maxPerUser } = yield* TemplateLimit
  if ((yield* store.count(user.id)) >= maxPerUser) return yield* new TemplateLimitReached({ max: maxPerUser })

  const pdf =
    source._tag === "Upload"
      ? source.pdf
      : yield* Effect.flatMap(PdfFetcher, (fetcher) => fetcher.fetchPdf(source.url)).pipe(
          Effect.mapError((error) => failed(fetchFailure(error)))
        )
  if (pdf.byteLength > maxPdfBytes) return yield* failed(`the PDF is larger than ${megabytes(maxPdfBytes)}`)
  const resume = yield* Effect.flatMap(PdfText, (reader) => reader.extract(pdf)).pipe(
    Effect.mapError((error) => failed(unreadable(error)))
  )
  const written = yield* Effect.flatMap(TemplateWriter, (writer) => writer.write({ resume, instructions })).pipe(
    Effect.catchTag("UpstreamError", (error) => Effect.fail(failed(`the language model failed (${error.message})`)))
  )

  const record = new TemplateRecord({
    id: TemplateId.make(yield* randomUuid),
    userId: user.id,
    pdfUrl: source._tag === "Url" ? source.url : null,
    templateText: written.text,
    userInstructions: instructions,
    generator: written.generator,
    createdAt: yield* currentDate
  })
  const outcome = yield* store.insertWithinLimit(record, maxPerUser)
  if (outcome._tag === "LimitReached") return yield* new TemplateLimitReached({ max: maxPerUser })
  return record
})

export const list = Effect.fn("Templates.list")(function* (user: AuthUser, page: TemplatePage) {
  const store = yield* TemplateStore
  return yield* store.list(user.id, page)
})

/** One of the caller's templates; another user's is "not found". */
export const get = Effect.fn("Templates.get")(function* (user: AuthUser, templateId: string) {
  const store = yield* TemplateStore
  const parsed = parseUuid(templateId)
  if (!parsed.ok) return yield* new InvalidTemplateId({ input: templateId, reason: parsed.reason })
  const found = yield* store.find(user.id, TemplateId.make(parsed.value))
  if (Option.isNone(found)) return yield* new TemplateNotFound({ id: templateId })
  return found.value
})
