import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { configProblems } from "@scribe/wiring/StartupErrors"
import { Config, ConfigProvider, Effect, Exit, Layer } from "effect"
import * as EdgePolicy from "../src/EdgePolicy"

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
// Where a server that did start would listen; none should.
const port = 20_000 + Math.floor(Math.random() * 20_000)

/** A root started as `pnpm start` starts it (tsx), with only `env` beyond PATH; its exit code and stderr. */
const start = (main: string, env: Record<string, string>) =>
  Effect.async<{ readonly code: number | null; readonly stderr: string; readonly stdout: string }>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", SCRIBE_DATA_DIR: "memory", PORT: String(port), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let stdout = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stderr, stdout }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** The lines under the heading: one sentence per problem, naming the variable. */
const problems = ({ stderr, stdout }: { readonly stderr: string; readonly stdout: string }) => {
  const lines = stderr.trim().split("\n")
  expect(lines[0], `stderr: ${stderr}\nstdout: ${stdout}`).toBe("Scribe cannot start: the configuration has a problem.")
  return lines.slice(1).map((line) => line.replace(/^ {2}- /, ""))
}

/** The sentences a start refused with these settings would print, from the same helper, in process. */
const refusal = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(
      Effect.scoped(Layer.build(layer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson(env))))))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    return Exit.isFailure(exit) ? configProblems(exit.cause) : []
  })

describe("configuration errors at start", () => {
  // Each process start costs seconds: one per root; the other sentences are checked in process below.
  it.live(
    "the API refuses with one readable sentence per problem, naming the variable, and exits non-zero",
    () =>
      Effect.gen(function* () {
        const production = yield* start("packages/http/src/main.ts", { NODE_ENV: "production" })
        expect(production.code).not.toBe(0)
        expect(problems(production)).toEqual([
          "Authentication is not configured: set SUPABASE_JWT_SECRET and/or SUPABASE_URL (required when NODE_ENV=production)."
        ])
        // No structure, no stack, and nothing announced before the refusal.
        expect(production.stderr).not.toMatch(/[{}]|\bat /)
        expect(production.stdout).not.toContain("listening")
      }),
    120_000
  )

  it.live(
    "the standalone worker too",
    () =>
      Effect.gen(function* () {
        const worker = yield* start("packages/worker/src/main.ts", {})
        expect(worker.code).not.toBe(0)
        expect(problems(worker)).toEqual([
          "DATABASE_URL is required: a standalone worker takes its jobs from the service's Postgres."
        ])
      }),
    120_000
  )

  it.effect("Effect's own messages get the variable and the remedy; ours are kept as they are", () =>
    Effect.gen(function* () {
      expect(yield* refusal(EdgePolicy.layerConfig, { SCRIBE_MAX_BODY_BYTES: "lots" })).toEqual([
        'SCRIBE_MAX_BODY_BYTES is invalid (expected an integer value but received "lots"); fix or unset it.'
      ])
      expect(yield* refusal(EdgePolicy.layerConfig, { SCRIBE_MAX_BODY_BYTES: "0" })).toEqual([
        "SCRIBE_MAX_BODY_BYTES must be a positive number of bytes, e.g. 1048576."
      ])
      expect(yield* refusal(EdgePolicy.layerConfig, { SCRIBE_CORS_ORIGINS: "https://app.example.com/" })).toEqual([
        'SCRIBE_CORS_ORIGINS: "https://app.example.com/" is not an origin; write scheme://host[:port] with no path or ' +
          "trailing slash, e.g. https://app.example.com."
      ])
      expect(yield* refusal(EdgePolicy.layerConfig, { SCRIBE_CORS_ORIGINS: "https://a.example, *" })).toEqual([
        'SCRIBE_CORS_ORIGINS lists exact origins; "*" is not accepted, name each origin.'
      ])
      const port = Layer.effectDiscard(Config.port("PORT"))
      expect(yield* refusal(port, { PORT: "eighty" })).toEqual([
        'PORT is invalid (expected a network port value but received "eighty"); fix or unset it.'
      ])
      const required = Layer.effectDiscard(Config.string("DATABASE_URL"))
      expect(yield* refusal(required, {})).toEqual(["DATABASE_URL is not set; set it and start again."])
      // Two problems at once: one sentence each.
      const both = Layer.effectDiscard(Config.all([Config.port("PORT"), Config.integer("SCRIBE_MAX_ATTEMPTS")]))
      expect(yield* refusal(both, { PORT: "x", SCRIBE_MAX_ATTEMPTS: "y" })).toHaveLength(2)
    })
  )
})
