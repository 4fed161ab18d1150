import * as StoreHealth from "@scribe/adapters/ops/StoreHealth"
import * as JobLeases from "@scribe/adapters/sql/JobLeases"
import * as SqlAdminQueries from "@scribe/adapters/sql/SqlAdminQueries"
import * as SqlProfileRepo from "@scribe/adapters/sql/SqlProfileRepo"
import * as SqlRepo from "@scribe/adapters/sql/SqlRepo"
import * as SqlTemplateStore from "@scribe/adapters/sql/SqlTemplateStore"
import { layerTempPostgres } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { Layer } from "effect"
import { accountsSuite } from "./AccountsSuite"
import { adminSuite } from "./AdminSuite"
import { StoreLeases } from "./ApiSuite"

const stores = Layer.mergeAll(
  SqlRepo.layer,
  StoreHealth.layer,
  SqlProfileRepo.layer,
  SqlTemplateStore.layer,
  SqlAdminQueries.layer,
  Layer.effect(StoreLeases, JobLeases.make)
).pipe(Layer.provide(layerTempPostgres()))

await describePostgres("profile and template routes on Postgres", () => {
  accountsSuite("profile and template routes on Postgres", stores)
  adminSuite("admin routes on Postgres", stores)
})
