import * as Database from "@scribe/adapters/Database"
import * as SqlRepo from "@scribe/adapters/SqlRepo"
import * as StoreHealth from "@scribe/adapters/StoreHealth"
import { Layer } from "effect"
import { suite } from "./ApiSuite"

suite(
  "HTTP API on embedded PGlite",
  Layer.mergeAll(SqlRepo.layer, StoreHealth.layer).pipe(Layer.provide(Database.layerPglite("memory")))
)
