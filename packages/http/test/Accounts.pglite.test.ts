import * as Database from "@scribe/adapters/sql/Database"
import { Layer } from "effect"
import { sqlAccountStores } from "./AccountsFixtures"
import { accountsSuite } from "./AccountsSuite"
import { adminSuite } from "./AdminSuite"

const stores = sqlAccountStores.pipe(Layer.provide(Database.layerPglite("memory")))

accountsSuite("profile and template routes on embedded PGlite", stores)
adminSuite("admin routes on embedded PGlite", stores)
