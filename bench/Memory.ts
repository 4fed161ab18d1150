/**
 * The embedded default's memory at start: the service process of `pnpm start` (the API and its worker over PGlite,
 * built, with the script's Node flags) in a new data directory, and again reopened, against the same bundle without
 * its data directory seed (initdb at first start, as before) and against the former `pnpm start` (the TypeScript
 * under tsx, no flags). Then the whole README command (`npx pnpm start`: npx, pnpm, the build check, the service)
 * against the former one (`npx pnpm start:dev`): a first start that builds (the bundle made stale first) in a new data
 * directory, and a later start (nothing to build) reopening it. Last, the one-time seed's own process.
 *
 * Peaks are the kernel's high-water mark of each process (`VmHWM` in /proc), which sampling would miss: PGlite's
 * initdb runs synchronously in WebAssembly. Idle is the RSS `idleSeconds` after the service says it is listening. A
 * process tree's figures are sums over its processes (sampled every 100 ms, so a peak of a sum may miss a spike).
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { buildApi, defaultOutdir, deployedCommand } from "../scripts/build"
import { type BenchContext, type BenchOutcome, type Row, repoRoot, round } from "./Harness"
import { idleSeconds, type Start, seedCost, start } from "./ServiceStart"

const npx = ["npx", "--yes", "pnpm@10.34.9"]

export const run = (ctx: BenchContext): Effect.Effect<BenchOutcome, unknown> =>
  Effect.promise(async () => {
    const work = mkdtempSync(join(tmpdir(), "scribe-start-memory-"))
    try {
      const dir = (name: string) => join(work, name)
      const seeded = await buildApi(join(repoRoot, "bench", "tmp", "start-memory", "seeded"))
      const plainDir = join(repoRoot, "bench", "tmp", "start-memory", "initdb")
      rmSync(plainDir, { recursive: true, force: true })
      cpSync(join(seeded, ".."), plainDir, { recursive: true, filter: (src) => !src.endsWith("pglite-seed.tgz") })
      const plain = join(plainDir, "main.mjs")
      const { nodeFlags } = deployedCommand("api", "start")
      const node = (entry: string) => [process.execPath, ...nodeFlags, entry]
      const tsx = [process.execPath, "--import", "tsx", "packages/http/src/main.ts"]

      const fresh = await start(ctx, "first start, seeded", node(seeded), dir("a"))
      const reopened = await start(ctx, "reopened", node(seeded), dir("a"))
      const initdb = await start(ctx, "first start, plain initdb", node(plain), dir("b"))
      const tsxReopened = await start(ctx, "reopened, former pnpm start (tsx)", tsx, dir("a"))
      // The first `pnpm start` after a change builds: without the record of the last build, the bundle is stale.
      rmSync(join(defaultOutdir("api"), "built-from.json"), { force: true })
      const readme = await start(ctx, "README command, first start (builds)", [...npx, "start"], dir("c"))
      const readmeLater = await start(ctx, "README command, later start", [...npx, "start"], dir("c"))
      const former = await start(ctx, "former README command, first start", [...npx, "start:dev"], dir("d"))
      const formerLater = await start(ctx, "former README command, later start", [...npx, "start:dev"], dir("d"))
      const seed = await seedCost(dir("seed.tgz"))

      const plainLabel = "same bundle, plain initdb"
      const tsxLabel = "former pnpm start: tsx, no flags"
      const formerLabel = "former: npx pnpm start:dev"
      const row = (
        name: string,
        value: number,
        unit: Row["unit"],
        baseline?: Row["baseline"],
        below?: number
      ): Row => ({
        bench: "start-memory",
        name,
        value,
        unit,
        ...(baseline === undefined ? {} : { baseline }),
        ...(below === undefined ? {} : { target: { text: `< ${below} MB`, met: value < below } })
      })
      const idle = `${idleSeconds} s after listening`
      /** Rows of one figure of `ours` against the same figure of `base`. */
      const against =
        (ours: Start, base: Start, label: string) =>
        (name: string, figure: "peak" | "idle" | "listening" | "treePeak" | "treeIdle", below?: number): Row =>
          row(name, ours[figure], figure === "listening" ? "s" : "MB", { label, value: base[figure] }, below)
      const vsPlain = against(fresh, initdb, plainLabel)
      const vsTsx = against(reopened, tsxReopened, tsxLabel)
      const vsFormer = against(readme, former, formerLabel)
      const vsFormerLater = against(readmeLater, formerLater, formerLabel)
      const rows: Array<Row> = [
        vsPlain("first start (new data dir): service peak RSS", "peak", 400),
        vsPlain(`first start: service RSS idle (${idle})`, "idle", 300),
        vsPlain("first start: seconds to listening", "listening"),
        vsTsx("reopened: service peak RSS", "peak", 400),
        vsTsx(`reopened: service RSS idle (${idle})`, "idle", 300),
        vsTsx("reopened: seconds to listening", "listening"),
        vsFormer("README command (npx pnpm start), first start: service peak RSS", "peak", 400),
        vsFormer(
          "README command, first start: process tree, peak of the sum (the build's esbuild included)",
          "treePeak"
        ),
        vsFormer(`README command, first start: process tree idle (${idle})`, "treeIdle"),
        vsFormer("README command, first start: seconds to listening (the build included)", "listening"),
        vsFormerLater(
          "README command, later start (nothing to build, reopened): process tree, peak of the sum",
          "treePeak"
        ),
        vsFormerLater(`README command, later start: process tree idle (${idle})`, "treeIdle"),
        vsFormerLater("README command, later start: seconds to listening", "listening"),
        row("the seed, made once per PGlite version by the build: its process's peak RSS", seed.peak, "MB"),
        row("the seed: seconds to make", seed.seconds, "s")
      ]
      const mb = (value: number) => round(value, 1)
      const detail = (s: Start) => ({
        ...s,
        peak: mb(s.peak),
        idle: mb(s.idle),
        listening: round(s.listening, 2),
        treePeak: mb(s.treePeak),
        treeIdle: mb(s.treeIdle)
      })
      return {
        rows,
        details: {
          idleSeconds,
          nodeFlags,
          runs: [fresh, reopened, initdb, tsxReopened, readme, readmeLater, former, formerLater].map(detail),
          seed: { peak: mb(seed.peak), seconds: round(seed.seconds, 2) }
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })
