import { looksLikePdf, PdfText, PdfUnreadable, ResumeText } from "@scribe/core/templates/PdfText"
import { type Context, Duration, Effect, Layer } from "effect"

export interface Options {
  /** Pages read at most (default 20: a résumé is one to three). */
  readonly maxPages?: number
  /** Characters kept at most (default 100 000). */
  readonly maxChars?: number
  /** Time for the whole extraction (default 20 s). */
  readonly timeout?: Duration.DurationInput
}

type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs")

/**
 * PDF.js (legacy build, the one meant for Node), imported on first use so a process that never reads a PDF never
 * loads its 3 MB. Its worker runs in this thread: `globalThis.pdfjsWorker` is where PDF.js looks for it, which also
 * keeps it inside a bundle (no worker file to find at run time). PDF.js builds a `DOMMatrix` as it loads (for
 * rendering, which text extraction never does) and polyfills it from the native `@napi-rs/canvas` when it can find
 * it, which a bundle cannot: a pure-JavaScript `DOMMatrix` is put in place first when the global is missing.
 */
const loadPdfjs: Effect.Effect<Pdfjs> = Effect.promise(async () => {
  if (!("DOMMatrix" in globalThis)) {
    const { default: DOMMatrix } = await import("@thednp/dommatrix")
    Object.assign(globalThis, { DOMMatrix })
  }
  const [pdfjs, worker] = await Promise.all([
    import("pdfjs-dist/legacy/build/pdf.mjs"),
    import("pdfjs-dist/legacy/build/pdf.worker.mjs")
  ])
  Object.assign(globalThis, { pdfjsWorker: worker })
  return pdfjs
}).pipe(Effect.cached, Effect.runSync)

interface TextItem {
  readonly str: string
  readonly hasEOL: boolean
}
const isTextItem = (u: unknown): u is TextItem =>
  typeof u === "object" && u !== null && "str" in u && typeof u.str === "string" && "hasEOL" in u

const pageText = (items: ReadonlyArray<unknown>): string =>
  items
    .filter(isTextItem)
    .map((item) => item.str + (item.hasEOL ? "\n" : ""))
    .join("")
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter((line) => line.length > 0)
    .join("\n")

const problem = (error: unknown): PdfUnreadable => {
  const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : ""
  const message = error instanceof Error ? error.message : String(error)
  if (name === "PasswordException") return new PdfUnreadable({ problem: "encrypted", message })
  return new PdfUnreadable({ problem: "damaged", message })
}

/**
 * Builds a `PdfText` on PDF.js: the text layer of each page, a line per text line. A file without the `%PDF-` signature
 * is `not_pdf`; one with it that PDF.js cannot parse (truncated, corrupt) is `damaged`; one that needs a password is
 * `encrypted`; one whose pages carry no text (a scan) is `no_text`. Fonts, scripts and rendering stay off.
 */
export const make = (options: Options = {}): Effect.Effect<Context.Tag.Service<PdfText>> =>
  Effect.sync(() => {
    const maxPages = options.maxPages ?? 20
    const maxChars = options.maxChars ?? 100_000
    const timeout = Duration.decode(options.timeout ?? "20 seconds")

    const read = (pdfjs: Pdfjs, bytes: Uint8Array) =>
      Effect.acquireUseRelease(
        Effect.tryPromise({
          // PDF.js takes ownership of (detaches) the buffer it is given, and refuses Node's Buffers: a plain copy.
          try: () =>
            pdfjs.getDocument({
              data: new Uint8Array(bytes),
              isEvalSupported: false,
              disableFontFace: true,
              useSystemFonts: false,
              enableXfa: false,
              verbosity: pdfjs.VerbosityLevel.ERRORS
            }).promise,
          catch: problem
        }),
        (document) =>
          Effect.tryPromise({
            try: async () => {
              const pages: Array<string> = []
              let chars = 0
              for (let n = 1; n <= Math.min(document.numPages, maxPages) && chars < maxChars; n++) {
                const page = await document.getPage(n)
                const text = pageText((await page.getTextContent()).items).slice(0, maxChars - chars)
                chars += text.length
                pages.push(text)
                page.cleanup()
              }
              return pages
            },
            catch: problem
          }),
        (document) => Effect.promise(() => document.destroy())
      )

    const extract = Effect.fn("PdfjsText.extract")(
      function* (bytes: Uint8Array) {
        if (!looksLikePdf(bytes)) return yield* new PdfUnreadable({ problem: "not_pdf", message: "no %PDF- header" })
        const pages = yield* Effect.flatMap(loadPdfjs, (pdfjs) => read(pdfjs, bytes))
        yield* Effect.annotateCurrentSpan("pages", pages.length)
        if (pages.every((page) => page.trim().length === 0)) {
          return yield* new PdfUnreadable({ problem: "no_text", message: "no page has a text layer" })
        }
        return new ResumeText({ pages })
      },
      (effect) =>
        Effect.timeoutFail(effect, {
          duration: timeout,
          onTimeout: () =>
            new PdfUnreadable({ problem: "damaged", message: `reading took longer than ${Duration.format(timeout)}` })
        })
    )

    return PdfText.of({ extract })
  })

export const layer = (options: Options = {}): Layer.Layer<PdfText> => Layer.effect(PdfText, make(options))
