import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as Database from "@scribe/adapters/sql/Database"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import { Layer } from "effect"
import { suite } from "./ApiSuite"

suite(
  "HTTP API on embedded PGlite",
  Layer.mergeAll(SqlRepo.layer, StoreHealth.layer).pipe(Layer.provide(Database.layerPglite("memory")))
)
