import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as Database from "@scribe/adapters/sql/Database"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import { Layer } from "effect"
import { StoreLeases, suite } from "./ApiSuite"

suite(
  "HTTP API on embedded PGlite",
  Layer.mergeAll(SqlRepo.layer, StoreHealth.layer, Layer.effect(StoreLeases, JobLeases.make)).pipe(
    Layer.provide(Database.layerPglite("memory"))
  )
)
