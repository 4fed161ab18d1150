import type { Effect } from "effect"
import { Context } from "effect"
import type { UpstreamError } from "../upstream/UpstreamError"

/** The largest résumé PDF accepted, fetched or uploaded: 10 MB. */
export const maxPdfBytes = 10 * 1024 * 1024

/**
 * Fetches a PDF safely: public http/https addresses only (every redirect hop checked), bounded in time and to
 * `maxPdfBytes`. A body that does not start like a PDF is refused (`invalid_request`).
 */
export class PdfFetcher extends Context.Tag("@scribe/core/PdfFetcher")<
  PdfFetcher,
  { readonly fetchPdf: (url: string) => Effect.Effect<Uint8Array, UpstreamError> }
>() {}
