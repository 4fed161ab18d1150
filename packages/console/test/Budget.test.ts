import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { consoleDist, ensureConsole } from "../../../scripts/console-build"

/** Kilobytes of gzipped JavaScript a first visit downloads: the entry and the chunks index.html preloads. */
export const firstLoadKb = (dist: string): { readonly kb: number; readonly files: ReadonlyArray<string> } => {
  const html = readFileSync(join(dist, "index.html"), "utf8")
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1] ?? "")
  const bytes = files.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f)), { level: 9 }).byteLength, 0)
  return { kb: bytes / 1024, files }
}

describe("the console's weight", () => {
  it("loads under 300 KB of gzipped JavaScript; Supabase, the spreadsheet code and the operators' view come later", () => {
    ensureConsole()
    const { kb, files } = firstLoadKb(consoleDist)
    // The figure, kept beside the screenshots so a run's weight can be read (and compared) after it.
    const record = fileURLToPath(new URL("../test-results/first-load.json", import.meta.url))
    mkdirSync(dirname(record), { recursive: true })
    writeFileSync(record, `${JSON.stringify({ gzippedKb: Math.round(kb * 10) / 10, limitKb: 300, files }, null, 2)}\n`)
    expect(files.length).toBeGreaterThan(0)
    expect(kb).toBeLessThan(300)
    const first = files.map((f) => readFileSync(join(consoleDist, f), "utf8")).join("\n")
    // each of these lives in a chunk of its own, fetched only when used
    expect(first).not.toContain("GoTrueClient")
    expect(first).not.toContain("sharedStrings.xml")
    expect(first).not.toContain("Weekly activity")
  }, 180_000)
})
