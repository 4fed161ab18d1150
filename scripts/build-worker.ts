/**
 * `pnpm build:worker`: the standalone worker as plain ES modules in `packages/worker/dist/` (`main.mjs` and the chunks
 * it imports), run with `pnpm start:worker:prod` — `node` on the bundle, without tsx's loader, on small-heap flags.
 * The benchmark (`bench/Batch.ts`) builds with this very function and runs that very script.
 *
 * What keeps it small in memory: V8 holds every loaded module's source text, so the output is whitespace-minified and
 * ASCII only (one non-ASCII character, even in a comment, stores a whole file at two bytes a character), and modules
 * the configuration may not need (PGlite, the OpenTelemetry SDK, Redis dispatch) sit in chunks of their own, loaded
 * by the layer that uses them. Names are kept for readable stack traces; `.map` files are written beside the bundle
 * (used only under `node --enable-source-maps`).
 */
import { readdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build, type Plugin } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))

export const defaultOutdir = join(root, "packages", "worker", "dist")

/**
 * Non-ASCII characters of a source as `\uXXXX` escapes (a backslash escaping one becomes the escape itself). The same
 * value in strings, templates and regular expressions — esbuild's `charset: "ascii"` leaves regex literals alone.
 */
export const escapeNonAscii = (source: string): string =>
  source.replace(/(\\*)([\u0080-\uffff])/g, (_, slashes: string, char: string) => {
    const escaped = char.charCodeAt(0).toString(16).padStart(4, "0")
    return `${slashes.length % 2 === 1 ? slashes.slice(1) : slashes}\\u${escaped}`
  })

/** Scribe's own modules, read through `escapeNonAscii` (their regexes match typographic quotes and accents). */
const asciiSources: Plugin = {
  name: "ascii-sources",
  setup: (build) => {
    build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, (args) => ({
      contents: escapeNonAscii(readFileSync(args.path, "utf8")),
      loader: "ts"
    }))
  }
}

/** Builds the worker into `outdir` (emptied first); returns the path of its entry, `main.mjs`. */
export const buildWorker = async (outdir: string = defaultOutdir): Promise<string> => {
  rmSync(outdir, { recursive: true, force: true })
  await build({
    entryPoints: [join(root, "packages", "worker", "src", "main.ts")],
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    charset: "ascii",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "external",
    sourcemap: "linked",
    // pg's optional native binding, never used (pg falls back to JavaScript).
    external: ["pg-native"],
    // CommonJS dependencies call `require` for Node's own modules.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    plugins: [asciiSources],
    logLevel: "warning"
  })
  for (const file of readdirSync(outdir).filter((f) => f.endsWith(".mjs"))) {
    if (/[\u0080-\uffff]/.test(readFileSync(join(outdir, file), "utf8"))) {
      throw new Error(`${file} is not ASCII: V8 would hold its source at two bytes a character`)
    }
  }
  return join(outdir, "main.mjs")
}

/**
 * `pnpm start:worker:prod` as `node <flags> <bundle>`, parsed from package.json, so the benchmark and the tests run
 * exactly what the docs tell users to run.
 */
export const deployedCommand = (): { readonly nodeFlags: ReadonlyArray<string>; readonly entry: string } => {
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts
  const command = scripts["start:worker:prod"] ?? ""
  const [node, ...rest] = command.trim().split(/\s+/)
  const entry = rest.at(-1) ?? ""
  const nodeFlags = rest.slice(0, -1)
  if (node !== "node" || !entry.endsWith(".mjs") || !nodeFlags.every((f) => f.startsWith("--"))) {
    throw new Error(`start:worker:prod is not \`node [--flags] <bundle>.mjs\`: ${command}`)
  }
  return { nodeFlags, entry }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const entry = await buildWorker()
  console.log(`Built ${entry}`)
}
