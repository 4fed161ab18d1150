/**
 * The web console's build (`pnpm build:console`, and the first step of `pnpm start`): Vite into
 * `packages/console/dist`, only when its sources changed since the last build (a hash of them kept in the folder),
 * one build at a time.
 */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const consolePkg = join(root, "packages", "console")
/** Where the built console is; the server looks here when it runs from the workspace. */
export const consoleDist = join(consolePkg, "dist")
/** The hash of the sources a console build was made from, kept in its folder (and in the copy the API carries). */
export const stampFile = ".build-stamp"

const filesIn = (path: string): ReadonlyArray<string> => {
  if (!existsSync(path)) return []
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.name !== "node_modules" && !e.name.startsWith("."))
    .flatMap((e) => filesIn(join(path, e.name)))
}

/** A hash of everything the console's build reads: its sources, the client and core it imports, the lockfile. */
export const consoleSourceHash = (): string => {
  const inputs = [
    ...["index.html", "vite.config.ts", "package.json", "tsconfig.json", "public", "src"].map((p) =>
      join(consolePkg, p)
    ),
    join(root, "packages", "client", "src"),
    join(root, "packages", "core", "src"),
    join(root, "pnpm-lock.yaml")
  ].flatMap(filesIn)
  const hash = createHash("sha256").update("vite build, production\0")
  for (const file of [...inputs].sort()) hash.update(file.slice(root.length)).update("\0").update(readFileSync(file))
  return hash.digest("hex")
}

/** Whether the built console is there and was built from sources of `hash`. */
export const isFresh = (hash: string) => {
  try {
    return readFileSync(join(consoleDist, stampFile), "utf8") === hash && existsSync(join(consoleDist, "index.html"))
  } catch {
    return false
  }
}

/** Runs `f` holding a lock file, so that concurrent builds (parallel tests) take turns; a stale lock is broken. */
const withLock = <A>(lock: string, f: () => A): A => {
  const deadline = Date.now() + 180_000
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"))
      break
    } catch {
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0
      if (age > 300_000) rmSync(lock, { force: true })
      if (Date.now() > deadline) throw new Error(`${lock} is held; remove it if no build is running`)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250)
    }
  }
  try {
    return f()
  } finally {
    rmSync(lock, { force: true })
  }
}

/**
 * Builds the console with Vite unless `packages/console/dist` already matches its sources (`force` builds anyway);
 * returns the dist's path. Built in a folder of its own, then swapped in, so a server never reads a half-written one.
 */
export const ensureConsole = (force = false): string =>
  withLock(join(consolePkg, ".build-lock"), () => {
    const hash = consoleSourceHash()
    if (!force && isFresh(hash)) return consoleDist
    const tmp = join(consolePkg, `.dist-${process.pid}`)
    const vite = join(consolePkg, "node_modules", "vite", "bin", "vite.js")
    execFileSync(process.execPath, [vite, "build", "--outDir", tmp, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: consolePkg,
      // Always the production build, whoever calls (vitest sets NODE_ENV=test, which Vite and React would honour).
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "inherit", "inherit"]
    })
    writeFileSync(join(tmp, stampFile), hash)
    const old = join(consolePkg, `.dist-old-${process.pid}`)
    if (existsSync(consoleDist)) renameSync(consoleDist, old)
    renameSync(tmp, consoleDist)
    rmSync(old, { recursive: true, force: true })
    return consoleDist
  })
