/**
 * `pnpm build:worker` and `pnpm build:api`: the standalone worker (`packages/worker/dist/`) and the API with its
 * embedded worker (`packages/http/dist/`) as plain ES modules — `main.mjs` and the chunks it imports — run with
 * `pnpm start:worker:prod` and `pnpm start:prod`: `node` on the bundle, without tsx's loader. The benchmarks
 * (`bench/BatchRun.ts`) and the tests build with these very functions and run those very scripts.
 *
 * What keeps them small in memory: V8 holds every loaded module's source text, so the output is whitespace-minified
 * and ASCII only (one non-ASCII character, even in a comment, stores a whole file at two bytes a character), and
 * modules the configuration may not need (PGlite, the OpenTelemetry SDK, Redis dispatch) sit in chunks of their own,
 * loaded by the layer that uses them. The API's folder also holds PGlite's WebAssembly and data files, which PGlite
 * finds beside its chunk (the embedded default), and a fresh data directory (`pglite-seed.tgz`, see `pgliteSeed`);
 * the standalone worker always has `DATABASE_URL`. Names are kept for readable stack traces; `.map` files are written
 * beside the bundle (used only under `node --enable-source-maps`).
 *
 * `pnpm build:console` builds the web console with Vite into `packages/console/dist` (`console-build.ts`);
 * `pnpm start` builds what is stale (the console, then the API's bundle, which copies the console into its folder as
 * `console/`, where the server finds it beside the bundle) and runs the bundle.
 */
import { execFileSync } from "node:child_process"
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { createRequire } from "node:module"
import { basename, dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { build, type Plugin } from "esbuild"
import { consoleSourceHash, ensureConsole, isFresh, stampFile } from "./console-build"

const root = fileURLToPath(new URL("..", import.meta.url))

/** What each build bundles, where it goes by default, the script that runs it and the files it needs beside it. */
const targets = {
  worker: { pkg: "worker", script: "start:worker:prod", assets: [] as ReadonlyArray<string> },
  api: { pkg: "http", script: "start:prod", assets: ["pglite.wasm", "pglite.data", "initdb.wasm", "pglite-seed.tgz"] }
} as const
export type Target = keyof typeof targets

export const defaultOutdir = (target: Target): string => join(root, "packages", targets[target].pkg, "dist")

/** PGlite's `dist` folder, where its WebAssembly and data files are. */
const pgliteDist = () => dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"))

/**
 * A fresh PGlite data directory as a tarball, which `PgliteClient` loads into a new data directory instead of running
 * initdb in the service (see its `seed` option). Made once per PGlite version by PGlite's own initdb, in a process of
 * its own (~450–600 MB for a few seconds), and kept in `node_modules/.cache/scribe/`; every build copies it.
 */
export const pgliteSeed = (): string => {
  const { version } = JSON.parse(readFileSync(join(pgliteDist(), "..", "package.json"), "utf8")) as { version: string }
  const file = join(root, "node_modules", ".cache", "scribe", `pglite-seed-${version}.tgz`)
  if (!existsSync(file)) {
    execFileSync(
      process.execPath,
      [
        "--no-wasm-tier-up",
        "--no-wasm-dynamic-tiering",
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "seed",
        file
      ],
      { cwd: root, stdio: "inherit" }
    )
  }
  return file
}

/** Writes `PgliteClient.makeSeed` to `file`, whole or not at all. */
const writeSeed = async (file: string) => {
  const { makeSeed } = await import("../packages/adapters/src/sql/PgliteClient")
  const { Effect } = await import("effect")
  const seed = await Effect.runPromise(makeSeed)
  mkdirSync(dirname(file), { recursive: true })
  const partial = `${file}.${process.pid}.partial`
  writeFileSync(partial, seed)
  renameSync(partial, file)
}

/** Where an asset of the bundle comes from: PGlite's folder, or the seed's cache. */
const assetSource = (asset: string) => (asset === "pglite-seed.tgz" ? pgliteSeed() : join(pgliteDist(), asset))

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

/** Builds `target` into `outdir` (emptied first); returns the path of its entry, `main.mjs`. */
export const buildBundle = async (target: Target, outdir: string = defaultOutdir(target)): Promise<string> => {
  const entry = await bundle(
    join(root, "packages", targets[target].pkg, "src", "main.ts"),
    outdir,
    targets[target].assets
  )
  if (target === "api") cpSync(ensureConsole(), join(outdir, "console"), { recursive: true })
  return entry
}

/** Whether the API's bundle carries the console its sources build today (the copy keeps the build's stamp). */
const carriesFreshConsole = (): boolean => {
  try {
    const carried = readFileSync(join(defaultOutdir("api"), "console", stampFile), "utf8")
    return carried === consoleSourceHash() && isFresh(carried)
  } catch {
    return false
  }
}

/** The PGlite files the API's bundle carries (see `targets`), its data directory seed included. */
export const pgliteAssets = targets.api.assets

/**
 * Bundles the TypeScript module `entry` as the roots are built, into `outdir` (emptied first), with `assets` from
 * PGlite's folder beside it; returns the path of the entry's `.mjs`.
 */
export const bundle = async (entry: string, outdir: string, assets: ReadonlyArray<string>): Promise<string> => {
  const startedAt = Date.now()
  rmSync(outdir, { recursive: true, force: true })
  const { metafile } = await build({
    entryPoints: [entry],
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
    metafile: true,
    logLevel: "warning"
  })
  for (const file of readdirSync(outdir).filter((f) => f.endsWith(".mjs"))) {
    if (/[\u0080-\uffff]/.test(readFileSync(join(outdir, file), "utf8"))) {
      throw new Error(`${file} is not ASCII: V8 would hold its source at two bytes a character`)
    }
  }
  for (const asset of assets) copyFileSync(assetSource(asset), join(outdir, asset))
  const inputs = Object.keys(metafile.inputs).map((input) => resolve(input))
  writeFileSync(join(outdir, builtFrom), JSON.stringify({ startedAt, inputs, assets }))
  return join(outdir, `${basename(entry, ".ts")}.mjs`)
}

/** What `bundle` writes beside the bundle: when it started, the files esbuild read and the assets it copied. */
const builtFrom = "built-from.json"

/**
 * Whether the bundle in `outdir` is still what a build would make: every file its build read, this script,
 * package.json and the lockfile are older than that build, and its assets are there (`--if-stale`, which
 * `pnpm start` uses, builds only when not).
 */
export const isUpToDate = (outdir: string): boolean => {
  try {
    const { startedAt, inputs, assets } = JSON.parse(readFileSync(join(outdir, builtFrom), "utf8")) as {
      startedAt: number
      inputs: ReadonlyArray<string>
      assets: ReadonlyArray<string>
    }
    const sources = [
      ...inputs,
      fileURLToPath(import.meta.url),
      join(root, "package.json"),
      join(root, "pnpm-lock.yaml")
    ]
    return (
      sources.every((file) => statSync(file).mtimeMs < startedAt) &&
      assets.every((asset) => existsSync(join(outdir, asset)))
    )
  } catch {
    return false
  }
}

export const buildWorker = (outdir?: string) => buildBundle("worker", outdir)
export const buildApi = (outdir?: string) => buildBundle("api", outdir)

/**
 * A production script (`pnpm start:worker:prod`, `pnpm start:prod`, or another such as `start`, which builds first) as
 * `node <flags> <bundle>` — its last command —, parsed from package.json, so the benchmark and the tests run exactly
 * what the docs tell users to run.
 */
export const deployedCommand = (
  target: Target = "worker",
  name: string = targets[target].script
): { readonly nodeFlags: ReadonlyArray<string>; readonly entry: string } => {
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts
  const command = (scripts[name] ?? "").split("&&").at(-1) ?? ""
  const [node, ...rest] = command.trim().split(/\s+/)
  const entry = rest.at(-1) ?? ""
  const nodeFlags = rest.slice(0, -1)
  if (node !== "node" || !entry.endsWith(".mjs") || !nodeFlags.every((f) => f.startsWith("--"))) {
    throw new Error(`${name} is not \`node [--flags] <bundle>.mjs\`: ${command}`)
  }
  return { nodeFlags, entry }
}

// Run as a script only: bundled into something else (by mistake), `import.meta.url` would be that bundle's entry too.
if (process.argv[1] === fileURLToPath(import.meta.url) && import.meta.url.endsWith("/scripts/build.ts")) {
  const [target, file] = process.argv.slice(2)
  const ifStale = process.argv.includes("--if-stale")
  if (target === "console") {
    if (ifStale && isFresh(consoleSourceHash())) process.exit(0)
    if (ifStale) console.log("Building the web console (its sources changed since the last build)…")
    console.log(`Built ${ensureConsole(!ifStale)}`)
  } else if (target === "seed" && file !== undefined) await writeSeed(file)
  else {
    if (target !== "worker" && target !== "api") {
      throw new Error("usage: tsx scripts/build.ts worker|api|console [--if-stale] (or seed <file>)")
    }
    // --if-stale: a no-op while the bundle (and, for the API, the console it carries) matches what it was built from.
    if (!(ifStale && isUpToDate(defaultOutdir(target)) && (target !== "api" || carriesFreshConsole()))) {
      console.log(`Built ${await buildBundle(target)}`)
    }
  }
}
