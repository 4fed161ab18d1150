import type { Effect } from "effect"
import { Context, Schema } from "effect"

/** A résumé's text, page by page, one line per text line. Untrusted data. */
export class ResumeText extends Schema.Class<ResumeText>("ResumeText")({
  pages: Schema.Array(Schema.String)
}) {}

/** Why a PDF's text could not be had. */
export const PdfProblem = Schema.Literal("not_pdf", "encrypted", "no_text", "damaged")
export type PdfProblem = typeof PdfProblem.Type

export class PdfUnreadable extends Schema.TaggedError<PdfUnreadable>()("PdfUnreadable", {
  problem: PdfProblem,
  message: Schema.String
}) {}

/** Extracts the text of a PDF. */
export class PdfText extends Context.Tag("@scribe/core/PdfText")<
  PdfText,
  { readonly extract: (pdf: Uint8Array) => Effect.Effect<ResumeText, PdfUnreadable> }
>() {}

/** Starts like a PDF: `%PDF-` within the first 1024 bytes, as readers allow. */
export const looksLikePdf = (bytes: Uint8Array): boolean => {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024))
  return head.includes("%PDF-")
}
