import { builtinModules } from "node:module"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build, type Metafile, type Plugin } from "esbuild"
import { describe, expect, it } from "vitest"

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
const browserEntry = fileURLToPath(new URL("../src/browser.ts", import.meta.url))

const builtins = new Set(builtinModules)

/** Keeps Node built-ins (`node:fs`, `fs`) out of resolution so they show up as imports of the output, not as a build error. */
const nodeBuiltinsAsExternal: Plugin = {
  name: "node-builtins-as-external",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      args.path.startsWith("node:") || builtins.has(args.path.split("/")[0] ?? "")
        ? { path: args.path, external: true }
        : undefined
    )
  }
}

const bundle = (options: { readonly entry: string } | { readonly contents: string; readonly resolveDir: string }) =>
  build({
    ...("entry" in options
      ? { entryPoints: [options.entry] }
      : { stdin: { contents: options.contents, resolveDir: options.resolveDir, loader: "ts" } }),
    absWorkingDir: repoRoot,
    bundle: true,
    platform: "browser",
    format: "esm",
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [nodeBuiltinsAsExternal]
  })

const serverOnlyPackages =
  /(^|\/)node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?(pg|pg-[^/]+|ioredis|@effect\/platform-node[^/]*|@electric-sql\/[^/]+)\//
const serverOnlyFiles = /(^|\/)packages\/(adapters|http|worker)\//

/** Everything in a bundle a browser must not receive: Node built-ins, server packages, server workspace files. */
const violations = (metafile: Metafile, code: string): Array<string> => {
  const found: Array<string> = []
  for (const input of Object.keys(metafile.inputs)) {
    if (serverOnlyPackages.test(input)) found.push(`server package: ${input}`)
    if (serverOnlyFiles.test(input)) found.push(`server file: ${input}`)
  }
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external) found.push(`external import: ${imported.path}`)
    }
  }
  if (/["'`]node:[a-z_/]+["'`]/.test(code)) found.push("a node: specifier in the code")
  return found
}

describe("browser bundle", () => {
  it("bundles the public entry without Node-only or server modules, and reports its size", async () => {
    const result = await bundle({ entry: browserEntry })
    const code = result.outputFiles[0]?.text ?? ""
    expect(violations(result.metafile, code)).toEqual([])
    expect(Object.keys(result.metafile.inputs).some((input) => input.endsWith("packages/client/src/browser.ts"))).toBe(
      true
    )
    const minified = Buffer.byteLength(code)
    const gzipped = gzipSync(code, { level: 9 }).byteLength
    console.log(
      `@scribe/client browser bundle: ${(minified / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzip`
    )
    expect(minified).toBeGreaterThan(0)
  }, 60_000)

  it("the check itself catches Node built-ins and server code (negative control)", async () => {
    const result = await bundle({
      contents: `import { readFileSync } from "node:fs"\nimport { HttpAppLive } from "../src/Server"\nexport { readFileSync, HttpAppLive }`,
      resolveDir: fileURLToPath(new URL("../../http/test/", import.meta.url))
    })
    const found = violations(result.metafile, result.outputFiles[0]?.text ?? "")
    expect(found).toEqual(
      expect.arrayContaining([
        "external import: node:fs",
        expect.stringMatching(/^server file: packages\/http\/src\/Server\.ts$/),
        expect.stringMatching(/^server package: .*@effect\/platform-node/)
      ])
    )
  }, 60_000)
})
