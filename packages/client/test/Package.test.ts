import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { gzipSync } from "node:zlib"
import { HttpServer } from "@effect/platform"
import * as People from "@scribe/adapters/testkit/People"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerApp } from "../../http/test/EndToEnd"
import { tokenFor } from "../../http/test/TestServer"
import { packPackage, publishName } from "../scripts/build"

/**
 * The SDK as an app gets it: built and packed as published, installed from the tarball into projects outside the
 * workspace (under the OS's temporary folder, kept between runs so installs are fast) — a Node 20 project
 * type-checked under NodeNext and bundler resolution whose scripts run against the live service, and a Vite app whose
 * bundle is the browser size docs/client.md reports.
 */

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
const fixtures = fileURLToPath(new URL("./consumer/", import.meta.url))
/** One folder per checkout, so worktrees on one machine do not share projects. */
const consumers = join(
  tmpdir(),
  `scribe-client-consumers-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 8)}`
)
const nodeProject = join(consumers, "node")
const viteProject = join(consumers, "vite")

/** The gzipped bundle a Vite app ships for the Promise client, Effect included; docs/client.md has the figure. */
const browserBudgetKiB = 100

const workspaceVersion = (name: string): string =>
  JSON.parse(
    readFileSync(
      createRequire(join(repoRoot, "packages", "client", "package.json")).resolve(`${name}/package.json`),
      "utf8"
    )
  ).version

const exec = promisify(execFile)

/** Runs a command; a failure carries its output. */
const run = async (command: string, args: ReadonlyArray<string>, options: { cwd: string; env?: NodeJS.ProcessEnv }) => {
  try {
    return await exec(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed in ${options.cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`)
  }
}

const writeJson = (path: string, value: unknown) => writeFile(path, `${JSON.stringify(value, null, 2)}\n`)

/**
 * A project of its own: its manifest and files (copied from a path, or JSON), then `npm install` — the tarball afresh,
 * everything else from what the last run installed and npm's cache. Only `node_modules` survives a run.
 */
const setUp = async (dir: string, manifest: object, files: Readonly<Record<string, string | object>>) => {
  await mkdir(dir, { recursive: true })
  for (const entry of await readdir(dir)) if (entry !== "node_modules") await rm(join(dir, entry), { recursive: true })
  await rm(join(dir, "node_modules", publishName), { recursive: true, force: true })
  await writeJson(join(dir, "package.json"), manifest)
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await (typeof content === "string" ? copyFile(content, join(dir, name)) : writeJson(join(dir, name), content))
  }
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir })
}

const strict = {
  target: "ES2022",
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  isolatedModules: true
}

const setUpNode = (tarball: string) =>
  setUp(
    nodeProject,
    {
      name: "scribe-client-node-consumer",
      private: true,
      type: "module",
      dependencies: {
        [publishName]: `file:${tarball}`,
        effect: workspaceVersion("effect"),
        "@effect/platform": workspaceVersion("@effect/platform")
      },
      devDependencies: { typescript: workspaceVersion("typescript"), "@types/node": workspaceVersion("@types/node") }
    },
    {
      "src/full-flow.ts": join(fixtures, "FullFlow.ts"),
      "src/quickstart.ts": join(repoRoot, "docs", "examples", "quickstart.ts"),
      "src/effect-program.ts": join(repoRoot, "docs", "examples", "effect-usage.ts"),
      "browser/app.ts": join(fixtures, "BrowserApp.ts"),
      // the library's declarations are checked too (skipLibCheck off), as an app with the strictest settings would
      "tsconfig.json": {
        compilerOptions: {
          ...strict,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          skipLibCheck: false,
          types: ["node"],
          rootDir: "src",
          outDir: "out"
        },
        include: ["src"]
      },
      // bundler resolution, for the scripts and for the browser app Vite builds
      "tsconfig.bundler.json": {
        compilerOptions: {
          ...strict,
          module: "ESNext",
          moduleResolution: "bundler",
          lib: ["ES2022", "DOM", "DOM.Iterable"],
          skipLibCheck: true,
          types: ["node"],
          noEmit: true
        },
        include: ["src", "browser"]
      }
    }
  )

const setUpVite = (tarball: string) =>
  setUp(
    viteProject,
    {
      name: "scribe-client-vite-consumer",
      private: true,
      type: "module",
      dependencies: {
        [publishName]: `file:${tarball}`,
        effect: workspaceVersion("effect"),
        "@effect/platform": workspaceVersion("@effect/platform")
      },
      devDependencies: { vite: "8.3.8" }
    },
    { "src/main.ts": join(fixtures, "BrowserApp.ts"), "index.html": join(fixtures, "index.html") }
  )

const tsc = (dir: string, config: string) =>
  run("node", ["node_modules/typescript/bin/tsc", "-p", config], { cwd: dir })

/** The service end to end on a real port (simulated upstreams), quiet; two workers, so a batch's third item waits. */
const service = ManagedRuntime.make(
  layerApp({ env: { SCRIBE_WORKER_CONCURRENCY: "2", SCRIBE_WORKER_NAME: "pkg" } }).pipe(
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
)

const serviceEnv = async () => {
  const url = await service.runPromise(
    Effect.map(HttpServer.HttpServer, (server) =>
      server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "unreachable"
    )
  )
  return { SCRIBE_URL: url }
}

/** A new user's token: each script works on a queue of its own. */
const newToken = () => service.runPromise(tokenFor(crypto.randomUUID()))

type Outcome = { readonly ok: { readonly stdout: string; readonly stderr: string } } | { readonly error: unknown }
const settle = (p: Promise<{ stdout: string; stderr: string }>): Promise<Outcome> =>
  p.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error })
  )
const outcome = async (p: Promise<Outcome> | undefined) => {
  const settled = await p
  if (settled === undefined) throw new Error("not run: the set-up failed")
  if ("error" in settled) throw settled.error
  return settled.ok
}

const fullFlowPeople = [People.ada, People.alan, People.ada, People.alan].map((p) => ({
  recipient_name: p.asTyped,
  recipient_interest: p.interest
}))

let tarball = ""
let browserBundle = { files: [] as ReadonlyArray<string>, gzipBytes: 0 }
let runs: Readonly<Record<"fullFlow" | "quickstart" | "effectProgram" | "signedOut", Promise<Outcome>>> | undefined

const buildVite = async () => {
  await run("node", ["node_modules/vite/bin/vite.js", "build", "--logLevel", "error"], { cwd: viteProject })
  const assets = join(viteProject, "dist", "assets")
  const files = (await readdir(assets)).filter((f) => f.endsWith(".js"))
  let gzipBytes = 0
  for (const file of files) gzipBytes += gzipSync(await readFile(join(assets, file)), { level: 9 }).byteLength
  browserBundle = { files, gzipBytes }
}

/** The compiled scripts, run at once against the service (each as its own user), as the tests below then read. */
const runScripts = async (service: { readonly SCRIBE_URL: string }) => {
  const node = async (script: string, env: Record<string, string> = {}) =>
    run("node", [join("out", script)], {
      cwd: nodeProject,
      env: { ...process.env, ...service, SCRIBE_TOKEN: await newToken(), ...env }
    })
  runs = {
    fullFlow: settle(node("full-flow.js", { SCRIBE_PEOPLE: JSON.stringify(fullFlowPeople) })),
    quickstart: settle(node("quickstart.js")),
    effectProgram: settle(node("effect-program.js")),
    signedOut: settle(node("quickstart.js", { SCRIBE_TOKEN: "" }))
  }
}

beforeAll(async () => {
  const [packed, env] = await Promise.all([packPackage(join(consumers, "pack")), serviceEnv()])
  tarball = packed
  const nodeReady = setUpNode(tarball).then(() =>
    Promise.all([tsc(nodeProject, "tsconfig.json"), tsc(nodeProject, "tsconfig.bundler.json")])
  )
  await Promise.all([nodeReady.then(() => runScripts(env)), setUpVite(tarball).then(buildVite)])
}, 300_000)

afterAll(() => service.dispose(), 60_000)

describe(`the packed ${publishName}, installed outside the workspace`, () => {
  it("ships the two bundles, its README and a manifest for publishing, and nothing of the workspace", async () => {
    const { stdout } = await run("tar", ["tzf", tarball], { cwd: consumers })
    expect(stdout.trim().split("\n").sort()).toEqual(
      ["package/README.md", "package/index.d.ts", "package/index.js", "package/package.json"].sort()
    )
    const installed = join(nodeProject, "node_modules", publishName)
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8"))
    expect(manifest).toMatchObject({
      name: publishName,
      type: "module",
      sideEffects: false,
      exports: { ".": { types: "./index.d.ts", import: "./index.js" } },
      peerDependencies: { effect: expect.stringMatching(/^\^3\./), "@effect/platform": expect.stringMatching(/^\^0\./) }
    })
    expect(manifest.private).toBeUndefined()
    expect(manifest.dependencies).toBeUndefined()
    for (const file of ["index.js", "index.d.ts"]) {
      const text = await readFile(join(installed, file), "utf8")
      const imported = [
        ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm),
        ...text.matchAll(/^import\s*["']([^"']+)["']/gm),
        ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)
      ].map(([, specifier]) => specifier)
      expect(
        imported.filter((s) => !/^(effect|@effect\/platform)(\/|$)/.test(s!)),
        file
      ).toEqual([])
      expect(imported, file).toContain("effect")
    }
    expect((await readFile(join(installed, "README.md"), "utf8")).startsWith(`# ${publishName}`)).toBe(true)
  })

  it("a Node script runs against the live service: generate, poll to SUCCESS, read, batch, watch the queue, cancel", async () => {
    const { stdout } = await outcome(runs?.fullFlow)
    const result = JSON.parse(stdout)
    const first = fullFlowPeople[0]
    expect(result.statuses.at(-1)).toBe("SUCCESS")
    expect(new Set(result.statuses)).not.toContain("FAILURE")
    expect(result.email).toMatchObject({ recipient_name: first!.recipient_name, createdAtIsDate: true })
    expect(result.email.email_message).toMatch(/^Dear /)
    expect(result.email.email_message).not.toMatch(/\{\{|\}\}/)

    const ids: ReadonlyArray<string> = result.batch.ids
    expect(ids).toHaveLength(3)
    expect(result.batch.message).toBe("Successfully queued 3 items")
    const queued = new Map<string, { status: string; position: number | null }>(
      result.queued.map((q: { id: string }) => [q.id, q])
    )
    expect(queued.get(ids[2]!)).toMatchObject({ status: "pending", position: expect.any(Number) })
    expect(result.cancelled).toEqual({ message: "Queue item cancelled" })
    const last: ReadonlyArray<{ id: string; status: string }> = result.snapshots.at(-1)
    expect(last).toEqual([
      { id: ids[0], status: "completed" },
      { id: ids[1], status: "completed" }
    ])
    expect(result.errors).toEqual({
      cancelAgain: { tag: "QueueItemNotFound", message: "Queue item not found", httpStatus: 404 },
      unknownTask: { tag: "TaskNotFound", message: "Task not found", httpStatus: 404 },
      invalid: {
        tag: "ValidationError",
        message: expect.stringMatching(/^email_template: /),
        httpStatus: 422
      }
    })
  }, 120_000)

  it("the docs' quickstart and Effect program run as shown", async () => {
    const quickstart = await outcome(runs?.quickstart)
    const lines = quickstart.stdout.trim().split("\n")
    expect(lines).toContain("SUCCESS")
    expect(lines.at(-1)).toMatch(/^Dear /)
    expect(quickstart.stderr).toBe("")

    const effect = await outcome(runs?.effectProgram)
    expect(effect.stdout).toContain("Prof. Ada Lovelace: completed, Dr. Alan Lovelace: completed")
    expect(effect.stdout.trim().split("\n").at(-1)).toMatch(/^Dear /)
    expect(effect.stderr).toBe("")

    const signedOut = await outcome(runs?.signedOut).then(
      () => "exited 0",
      (e: Error) => e.message
    )
    expect(signedOut).toContain("Unauthenticated (401): Not authenticated")
  }, 120_000)

  it(`a Vite app bundles the Promise client for the browser under ${browserBudgetKiB} KiB gzipped`, () => {
    expect(browserBundle.files.length).toBeGreaterThan(0)
    const kib = browserBundle.gzipBytes / 1024
    expect(kib, `${kib.toFixed(1)} KiB gzipped`).toBeLessThan(browserBudgetKiB)
  })
})
