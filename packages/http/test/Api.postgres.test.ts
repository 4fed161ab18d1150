import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import { layerTempPostgres } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { Layer } from "effect"
import { StoreLeases, suite } from "./ApiSuite"
import { fuzzSuite } from "./FuzzSuite"

const stores = Layer.mergeAll(SqlRepo.layer, StoreHealth.layer, Layer.effect(StoreLeases, JobLeases.make)).pipe(
  Layer.provide(layerTempPostgres())
)

await describePostgres("HTTP API on Postgres", () => {
  suite("HTTP API on Postgres", stores)
  fuzzSuite("fuzzed requests on Postgres", stores)
})
