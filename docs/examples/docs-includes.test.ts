import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

/** Code shown in the docs is the code CI type-checks: every `<!-- include: path -->` block equals that file. */
describe("code blocks included in the docs", () => {
  for (const page of ["docs/client.md", "README.md", "packages/client/README.md"]) {
    const text = readFileSync(page, "utf8")
    const includes = [...text.matchAll(/<!-- include: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)]
    for (const [, path, block] of includes) {
      it(`${page} shows ${path} as it is`, () => {
        expect(block).toBe(readFileSync(path!, "utf8").trimEnd())
      })
    }
  }
  it("docs/client.md includes the SDK examples, the quickstart first", () => {
    const text = readFileSync("docs/client.md", "utf8")
    expect(text.indexOf("<!-- include: docs/examples/quickstart.ts -->")).toBeGreaterThan(
      text.indexOf("## Installation")
    )
    expect(text.indexOf("<!-- include: ")).toBe(text.indexOf("<!-- include: docs/examples/quickstart.ts -->"))
    expect(readFileSync("packages/client/README.md", "utf8")).toContain("<!-- include: docs/examples/quickstart.ts -->")
    expect(text).toContain("<!-- include: docs/examples/react-usage.ts -->")
    expect(text).toContain("<!-- include: docs/examples/effect-usage.ts -->")
  })
})
