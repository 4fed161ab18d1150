/**
 * The benchmarks' API process, apart from the harness: the harness is part of what `bench/processes/api.ts` bundles, and
 * the build script must not be.
 */
import { join } from "node:path"
import { bundle, pgliteAssets } from "../scripts/build"
import { type Child, freePort, repoRoot, spawnTs } from "./Harness"

/** How the benchmarks run their API process: built as deployed (the default) or under tsx (`SCRIBE_BENCH_API=tsx`). */
export const apiForm: "bundled" | "tsx" = process.env.SCRIBE_BENCH_API === "tsx" ? "tsx" : "bundled"

let apiBuilt: Promise<string> | undefined
/**
 * The entry of the benchmarks' API process (`bench/processes/api.ts`: the API without its embedded worker, which would
 * take the seeded jobs). Bundled, it is built once per process into `bench/tmp/api/` by the function that builds
 * `pnpm build:api`, PGlite's files included, and runs on plain `node` as `pnpm start:prod` runs the API.
 */
export const apiEntry = (): Promise<string> => {
  if (apiForm === "tsx") return Promise.resolve("bench/processes/api.ts")
  apiBuilt ??= bundle(
    join(repoRoot, "bench", "processes", "api.ts"),
    join(repoRoot, "bench", "tmp", "api"),
    pgliteAssets
  )
  return apiBuilt
}

/** The API process on a free port with `env`, once it says it is ready (stopped again when it does not). */
export const startApi = async (
  env: Record<string, string>,
  readyTimeoutMs?: number
): Promise<{ readonly process: Child; readonly port: number; readonly origin: string }> => {
  const port = await freePort()
  const api = spawnTs("api", await apiEntry(), { ...env, PORT: String(port) })
  try {
    await api.waitFor(/api ready/, readyTimeoutMs)
  } catch (error) {
    await api.stop()
    throw error
  }
  return { process: api, port, origin: `http://127.0.0.1:${port}` }
}

/** Migrates `env`'s new database as the API does at start: the API is started on it, then stopped. */
export const migrateWithApi = async (env: Record<string, string>): Promise<void> => {
  const { process: api } = await startApi(env)
  await api.stop()
}
