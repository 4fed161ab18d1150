import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { bundle, isUpToDate } from "../../../scripts/build"

const root = mkdtempSync(join(tmpdir(), "scribe-stale-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

// `pnpm start` runs `build.ts api --if-stale`: a bundle wrongly judged up to date would run code that is not the
// sources' any more. A two-module entry stands in for the API (the same function builds both).
describe("isUpToDate (build.ts --if-stale)", () => {
  it("holds after a build, fails once a file the build read is newer or an asset is gone", async () => {
    const entry = join(root, "main.ts")
    const imported = join(root, "Imported.ts")
    writeFileSync(imported, "export const answer = 42\n")
    writeFileSync(entry, 'import { answer } from "./Imported"\nconsole.log(answer)\n')
    const past = new Date(Date.now() - 60_000)
    for (const file of [entry, imported]) utimesSync(file, past, past)
    const outdir = join(root, "dist")

    await bundle(entry, outdir, ["pglite.data"])
    expect(isUpToDate(outdir)).toBe(true)

    const future = new Date(Date.now() + 60_000)
    utimesSync(imported, future, future)
    expect(isUpToDate(outdir)).toBe(false)
    utimesSync(imported, past, past)
    expect(isUpToDate(outdir)).toBe(true)

    rmSync(join(outdir, "pglite.data"))
    expect(isUpToDate(outdir)).toBe(false)

    await bundle(entry, outdir, [])
    rmSync(imported)
    expect(isUpToDate(outdir)).toBe(false)
  })

  it("never holds for a folder no build wrote", () => {
    expect(isUpToDate(join(root, "nothing-here"))).toBe(false)
  })
})
