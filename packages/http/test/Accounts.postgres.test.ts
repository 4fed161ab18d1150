import { layerTempPostgres } from "@scribe/adapters/testkit/TempPostgres"
import { describePostgres } from "@scribe/adapters/testkit/TestDatabase"
import { Layer } from "effect"
import { sqlAccountStores } from "./AccountsFixtures"
import { accountsSuite } from "./AccountsSuite"
import { adminSuite } from "./AdminSuite"

const stores = sqlAccountStores.pipe(Layer.provide(layerTempPostgres()))

await describePostgres("profile and template routes on Postgres", () => {
  accountsSuite("profile and template routes on Postgres", stores)
  adminSuite("admin routes on Postgres", stores)
})
