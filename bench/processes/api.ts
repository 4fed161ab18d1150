/**
 * The API alone, in a process of its own, over the stores from the environment (`DATABASE_URL` → Postgres, else
 * PGlite in `SCRIBE_DATA_DIR`): what `pnpm start` serves, minus its embedded worker, so the benchmarks can measure the
 * API's latency and memory apart from the standalone worker's. Listens on `PORT`; prints `api ready` once it does.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Stores from "@scribe/wiring/Stores"
import { Console, Layer } from "effect"
import { apiLayer } from "../Stack"

const port = Number(process.env.PORT ?? "8000")
const stores = Stores.layerConfig({ requireDatabaseUrl: false })

// Announced once the API is built: migrated and listening.
Layer.launch(Layer.effectDiscard(Console.log("api ready")).pipe(Layer.provide(apiLayer(stores, port)))).pipe(
  NodeRuntime.runMain
)
