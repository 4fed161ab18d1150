import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Resumes from "@scribe/adapters/testkit/Resumes"
import { Effect } from "effect"
import { buildApi, deployedCommand } from "../../../scripts/build"

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * `start:prod`'s command on the bundle in `entry`, with only `env` beyond PATH: the embedded default. Its output is
 * kept, never inherited, and logged with the test's once it has stopped (the run shows a test's logs when it fails).
 */
const startDeployed = (entry: string, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, [...deployedCommand("api").nodeFlags, entry], {
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()))
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()))
      return { child, output: () => output }
    }),
    ({ child, output }) =>
      Effect.zipRight(
        stop(child),
        Effect.sync(() => console.log(`--- the API process (pid ${child.pid}), its output:\n${output()}`))
      )
  )

const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    child.kill("SIGTERM")
  })

const request = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await fetch(url, init).catch(() => undefined)
    return response === undefined ? undefined : { status: response.status, body: await response.text() }
  })

const until = <A>(what: string, attempt: Effect.Effect<A | undefined>, timeoutMs: number, output: () => string) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = yield* attempt
      if (found !== undefined) return found
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}:\n${output()}`))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
    }
  })

describe("the API as deployed (pnpm build:api, then start:prod's command)", () => {
  it.live(
    "runs the embedded default from its own folder: PGlite on disk, a dev token, an email generated and read",
    () =>
      Effect.gen(function* () {
        const dir = { build: yield* tempDir("scribe-api-build-"), data: yield* tempDir("scribe-api-data-") }
        // Built outside the repository: the folder must hold everything it loads (PGlite's WebAssembly included).
        const entry = yield* Effect.promise(() => buildApi(join(dir.build, "dist")))
        for (const asset of ["pglite.wasm", "pglite.data", "initdb.wasm"]) {
          expect(existsSync(join(dir.build, "dist", asset))).toBe(true)
        }
        const port = yield* freePort
        const api = yield* startDeployed(entry, { PORT: String(port), SCRIBE_DATA_DIR: dir.data })
        const base = `http://127.0.0.1:${port}`
        const health = yield* until(
          "/health",
          Effect.map(request(`${base}/health`), (r) => (r?.status === 200 ? r : undefined)),
          60_000,
          api.output
        )
        expect(JSON.parse(health.body)).toMatchObject({ status: "healthy", database: "ok" })
        const token = yield* until(
          "the dev token",
          Effect.sync(() => /export SCRIBE_TOKEN=(\S+)/.exec(api.output())?.[1]),
          10_000,
          api.output
        )
        const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" }
        const queued = yield* request(`${base}/api/email/generate`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({
            email_template: "Dear {{name}}, I enjoyed your work on {{research}}. Best, Sam",
            recipient_name: "Prof. Ada Lovelace",
            recipient_interest: "analytical engines"
          })
        })
        expect(queued?.status).toBe(202)
        const task = (JSON.parse(queued?.body ?? "{}") as { task_id: string }).task_id
        const done = yield* until(
          "the task to finish",
          Effect.map(request(`${base}/api/email/status/${task}`, { headers: auth }), (r) => {
            const status = r === undefined ? undefined : (JSON.parse(r.body) as { status: string; result?: unknown })
            return status?.status === "SUCCESS" || status?.status === "FAILURE" ? status : undefined
          }),
          60_000,
          api.output
        )
        expect(done.status).toBe("SUCCESS")
        const emailId = (done.result as { email_id: string }).email_id
        const email = yield* request(`${base}/api/email/${emailId}`, { headers: auth })
        expect(email?.status).toBe(200)
        expect(JSON.parse(email?.body ?? "{}")).toMatchObject({
          recipient_name: "Prof. Ada Lovelace",
          email_message: expect.stringContaining("Dear Ada Lovelace")
        })
        // PDF.js (and its worker) load from the bundle's own chunks: a résumé upload becomes a template.
        const form = new FormData()
        form.append("file", new Blob([yield* Effect.promise(() => Resumes.twoPageResume())]), "cv.pdf")
        form.append("user_instructions", "Short and warm, please.")
        const template = yield* request(`${base}/api/templates/`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
          body: form
        })
        expect(template?.status).toBe(201)
        expect(JSON.parse(template?.body ?? "{}")).toMatchObject({
          generator: "deterministic",
          template_text: expect.stringContaining(Resumes.student.name)
        })
        // The data outlives the process: PGlite wrote its files into SCRIBE_DATA_DIR.
        expect(existsSync(join(dir.data, "PG_VERSION"))).toBe(true)
      }).pipe(Effect.scoped),
    { timeout: 120_000 }
  )
})
