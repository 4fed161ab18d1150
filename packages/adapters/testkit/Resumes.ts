import { PDFDocument, StandardFonts } from "@cantoo/pdf-lib"
import type * as SafePdfFetcher from "../src/scraper/SafePdfFetcher"
import type * as FakeWeb from "./FakeWeb"

/** Résumé PDFs made for the tests (with pdf-lib), and the pages that serve them in the simulated world. */

export const student = {
  name: "Sam Rivera",
  education: "B.Sc. in Computer Science, University of Example, 2026",
  research: "Undergraduate researcher, Graph Algorithms Lab: shortest paths on dynamic graphs",
  skills: "Python, C++, graph theory, LaTeX",
  project: "Parallel Dijkstra implementation in Rust",
  publication: "Rivera S., Dynamic shortest paths, Student Workshop 2025"
} as const

const pages: ReadonlyArray<ReadonlyArray<string>> = [
  [
    student.name,
    "sam.rivera@uni.edu | +1 555 0100",
    "Education",
    student.education,
    "Research Experience",
    student.research,
    "Skills",
    student.skills
  ],
  ["Projects", student.project, "Publications", student.publication, "Awards", "Dean's list 2024"]
]

/** Fixed dates, so one résumé is the same bytes each time it is made (pdf-lib would stamp the current time). */
const written = new Date("2026-01-15T09:00:00.000Z")

const write = async (options: { readonly encrypt?: boolean; readonly text?: boolean } = {}) => {
  const doc = await PDFDocument.create()
  doc.setCreationDate(written)
  doc.setModificationDate(written)
  const font = await doc.embedFont(StandardFonts.Helvetica)
  for (const lines of pages) {
    const page = doc.addPage([612, 792])
    if (options.text === false) {
      // A scan: marks on the page, no text layer.
      for (let i = 0; i < lines.length; i++) page.drawRectangle({ x: 50, y: 700 - i * 30, width: 400, height: 12 })
    } else {
      page.drawText(lines.join("\n"), { x: 50, y: 720, font, size: 12, lineHeight: 18 })
    }
  }
  if (options.encrypt === true) doc.encrypt({ userPassword: "résumé-password", ownerPassword: "owner-password" })
  return doc.save()
}

/** A two-page résumé with a text layer: name, education, research, skills; projects, publications, awards. */
export const twoPageResume = (): Promise<Uint8Array> => write()
/** The same résumé as a scan would be: pages with marks and no text. */
export const scannedResume = (): Promise<Uint8Array> => write({ text: false })
/** The same résumé, encrypted with a user password. */
export const encryptedResume = (): Promise<Uint8Array> => write({ encrypt: true })
/** An HTML page, as a misconfigured server sends it: labelled `application/pdf`. */
export const htmlPage = "<!doctype html><html><head><title>CV</title></head><body><h1>Sam Rivera</h1></body></html>"
/** A file of `bytes` that starts like a PDF (20 MB by default): over any size cap before it is read. */
export const hugePdf = (bytes = 20 * 1024 * 1024): Uint8Array => {
  const file = new Uint8Array(bytes).fill(0x20)
  file.set(new TextEncoder().encode("%PDF-1.7\n"))
  return file
}

export const Paths = {
  resume: "/cv/sam-rivera.pdf",
  scanned: "/cv/scanned.pdf",
  encrypted: "/cv/encrypted.pdf",
  html: "/cv/not-a-pdf.pdf",
  huge: "/cv/huge.pdf",
  hugeChunked: "/cv/huge-chunked.pdf",
  redirectPrivate: "/cv/moved.pdf",
  missing: "/cv/missing.pdf"
} as const

/** The résumé pages for `World.make({ pages })`; the redirect points at a loopback address. */
export const pagesFor = async (): Promise<(origin: string) => Record<string, FakeWeb.PageRoute>> => {
  const [resume, scanned, encrypted] = await Promise.all([twoPageResume(), scannedResume(), encryptedResume()])
  const huge = hugePdf()
  const pdf = (body: Uint8Array, extra: Partial<FakeWeb.PageSpec> = {}): FakeWeb.PageSpec => ({
    body,
    contentType: "application/pdf",
    ...extra
  })
  return (origin) => ({
    [Paths.resume]: pdf(resume),
    [Paths.scanned]: pdf(scanned),
    [Paths.encrypted]: pdf(encrypted),
    [Paths.html]: { body: htmlPage, contentType: "application/pdf" },
    [Paths.huge]: pdf(huge),
    [Paths.hugeChunked]: pdf(huge, { chunked: true }),
    [Paths.redirectPrivate]: { redirect: new URL(Paths.resume, origin).href }
  })
}

/** A public-looking host name that the fetcher's seams resolve to a public address and connect to loopback. */
export const publicHost = "cv.scribe.test"
const publicAddress = "93.184.216.34"

/**
 * Fetcher seams for a world on loopback reached through `publicHost` with private addresses refused, as in
 * production: `publicHost` resolves to a public address that is dialled on 127.0.0.1; nothing else resolves.
 */
export const publicSeams: Pick<SafePdfFetcher.Options, "resolve" | "dial"> = {
  resolve: (hostname) =>
    hostname === publicHost
      ? Promise.resolve([publicAddress])
      : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" })),
  dial: (address, port) => (address === publicAddress ? { host: "127.0.0.1", port } : { host: address, port })
}

/** The URL of a world path through `publicHost` (same port). */
export const publicUrl = (worldUrl: (path: string) => string, path: string): string => {
  const url = new URL(worldUrl(path))
  url.hostname = publicHost
  return url.href
}
