import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as PdfjsText from "../src/pdf/PdfjsText"
import * as Resumes from "../testkit/Resumes"

const extract = (pdf: Uint8Array) => Effect.flatMap(PdfjsText.make(), (reader) => reader.extract(pdf))
const problem = (pdf: Uint8Array) => Effect.map(Effect.flip(extract(pdf)), (e) => e.problem)

describe("PdfjsText", () => {
  it.effect("reads a two-page résumé page by page, a line per text line", () =>
    Effect.gen(function* () {
      const resume = yield* extract(yield* Effect.promise(() => Resumes.twoPageResume()))
      expect(resume.pages).toHaveLength(2)
      expect(resume.pages[0]!.split("\n")).toEqual([
        Resumes.student.name,
        "sam.rivera@uni.edu | +1 555 0100",
        "Education",
        Resumes.student.education,
        "Research Experience",
        Resumes.student.research,
        "Skills",
        Resumes.student.skills
      ])
      expect(resume.pages[1]).toContain(Resumes.student.publication)
    })
  )

  it.effect("tells scans, encrypted files, non-PDFs and damaged PDFs apart", () =>
    Effect.gen(function* () {
      const whole = yield* Effect.promise(() => Resumes.twoPageResume())
      expect(yield* problem(yield* Effect.promise(() => Resumes.scannedResume()))).toBe("no_text")
      expect(yield* problem(yield* Effect.promise(() => Resumes.encryptedResume()))).toBe("encrypted")
      expect(yield* problem(new TextEncoder().encode(Resumes.htmlPage))).toBe("not_pdf")
      expect(yield* problem(Resumes.hugePdf(4096))).toBe("damaged")
      expect(yield* problem(whole.subarray(0, Math.floor(whole.byteLength / 2)))).toBe("damaged")
      // a Node Buffer is read as well as a Uint8Array, and is left intact
      const buffer = Buffer.from(whole)
      expect((yield* extract(buffer)).pages).toHaveLength(2)
      expect(buffer.byteLength).toBe(whole.byteLength)
    })
  )
})
