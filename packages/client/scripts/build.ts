/**
 * `pnpm build:client` and `pnpm pack:client`: the SDK as the package an app installs, `scribe-client`, built from
 * this workspace package into `packages/client/dist/package/` and packed beside it (`scribe-client-<version>.tgz`).
 *
 * It holds one ES module (`index.js`, esbuild) and one declaration file (`index.d.ts`, rollup-plugin-dts), both
 * bundled from the public entry `src/browser.ts`, so every module it reaches — the contract's files, and the core
 * schemas and errors they use — is in them and nothing refers to the workspace. `effect` and `@effect/platform` stay
 * imports: they are the package's peer dependencies. The workspace itself keeps importing the sources
 * (`@scribe/client/…`). Why these tools and this name: docs/decisions/client-build.md.
 */
import { execFile } from "node:child_process"
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { build } from "esbuild"
import { rollup } from "rollup"
import { dts } from "rollup-plugin-dts"

const clientDir = fileURLToPath(new URL("..", import.meta.url))
const entry = join(clientDir, "src", "browser.ts")

/** The name the package is published under (unscoped, free on npm: see the decision record). */
export const publishName = "scribe-client"

/** Where `buildPackage` and `packPackage` write by default. */
export const defaultOutdir = join(clientDir, "dist")

/** Imports left to the app's own copy of Effect. */
const peers = ["effect", "@effect/platform"]
const isPeer = (id: string) => peers.some((peer) => id === peer || id.startsWith(`${peer}/`))

interface WorkspaceManifest {
  readonly version: string
  readonly description: string
  readonly peerDependencies: Readonly<Record<string, string>>
}

/** The published `package.json`: ESM only, types first, nothing shipped but the two bundles and the README. */
const publishedManifest = (workspace: WorkspaceManifest) => ({
  name: publishName,
  version: workspace.version,
  description: workspace.description,
  type: "module",
  sideEffects: false,
  exports: {
    ".": { types: "./index.d.ts", import: "./index.js" },
    "./package.json": "./package.json"
  },
  types: "./index.d.ts",
  files: ["index.js", "index.d.ts", "README.md"],
  engines: { node: ">=20" },
  peerDependencies: workspace.peerDependencies
})

const bundleJs = (dir: string) =>
  build({
    entryPoints: [entry],
    outfile: join(dir, "index.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: peers.flatMap((peer) => [peer, `${peer}/*`]),
    legalComments: "none",
    logLevel: "warning"
  })

const bundleTypes = async (dir: string) => {
  const bundle = await rollup({
    input: entry,
    external: isPeer,
    // the core modules resolve through the workspace's node_modules: bundle them, leave only the peers outside
    plugins: [dts({ tsconfig: join(clientDir, "tsconfig.build.json"), respectExternal: true })],
    onwarn: (warning) => {
      throw new Error(`declaration bundle: ${warning.message}`)
    }
  })
  try {
    await bundle.write({ file: join(dir, "index.d.ts"), format: "es" })
  } finally {
    await bundle.close()
  }
}

/** Builds the publishable package into `<outdir>/package` (`outdir` emptied first); returns that folder. */
export const buildPackage = async (outdir: string = defaultOutdir): Promise<string> => {
  const dir = join(outdir, "package")
  await rm(outdir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const workspace: WorkspaceManifest = JSON.parse(await readFile(join(clientDir, "package.json"), "utf8"))
  await Promise.all([bundleJs(dir), bundleTypes(dir)])
  await writeFile(join(dir, "package.json"), `${JSON.stringify(publishedManifest(workspace), null, 2)}\n`)
  await copyFile(join(clientDir, "README.md"), join(dir, "README.md"))
  return dir
}

/** Builds the package and packs it with `npm pack` into `outdir`; returns the tarball's path. */
export const packPackage = async (outdir: string = defaultOutdir): Promise<string> => {
  const dir = await buildPackage(outdir)
  const { stdout } = await promisify(execFile)("npm", ["pack", "--json", "--pack-destination", outdir], { cwd: dir })
  const [packed]: ReadonlyArray<{ readonly filename: string }> = JSON.parse(stdout)
  if (packed === undefined) throw new Error(`npm pack reported nothing: ${stdout}`)
  return join(outdir, packed.filename)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const made = process.argv.includes("--pack") ? await packPackage() : await buildPackage()
  console.log(made)
}
