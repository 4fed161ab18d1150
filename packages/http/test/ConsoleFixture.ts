import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeHttpServer } from "@effect/platform-node"
import * as SupabaseAuth from "@scribe/adapters/auth/SupabaseAuth"
import * as Budgets from "@scribe/adapters/upstream/Budgets"
import * as SubmissionLimits from "@scribe/adapters/usage/SubmissionLimits"
import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { HttpAppLive } from "../src/Server"
import { generousLimits, testAccountServices } from "./TestServer"

export const indexHtml = `<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-AbC123.js"></script>${" ".repeat(2000)}</body></html>`
export const script = `console.log(${JSON.stringify("x".repeat(5000))})`

/** A built console as Vite lays it out (index.html, hashed assets, a public file, the build's stamp), in a temp folder. */
export const consoleFixture = () => {
  const dir = mkdtempSync(join(tmpdir(), "scribe-console-"))
  mkdirSync(join(dir, "assets"))
  writeFileSync(join(dir, "index.html"), indexHtml)
  writeFileSync(join(dir, "assets", "index-AbC123.js"), script)
  writeFileSync(join(dir, "favicon.svg"), "<svg/>")
  writeFileSync(join(dir, ".build-stamp"), "not served")
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })

/**
 * The API on a real port serving the console in `dir`, configured by `env` alone (auth as `SupabaseAuth.layerConfig`
 * reads it: the dev secret when no Supabase is set). One per test file: the API's router is shared by every build in
 * a process.
 */
export const serverWithConsole = (dir: string, env: Record<string, string>) =>
  HttpAppLive.pipe(
    Layer.provide(SubmissionLimits.layer(generousLimits).pipe(Layer.provide(Budgets.layerMemory))),
    Layer.provide(SupabaseAuth.layerConfig),
    Layer.provide(testAccountServices),
    Layer.provide(Layer.merge(AccountsMemory.layerOver, healthy).pipe(Layer.provide(RepoMemory.layer))),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provide(
      Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ SCRIBE_CONSOLE_DIR: dir, ...env }))))
    )
  )
