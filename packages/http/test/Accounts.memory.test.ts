import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import { MemoryLeases } from "@scribe/core/testing/MemoryLeases"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { accountsSuite } from "./AccountsSuite"
import { adminSuite } from "./AdminSuite"
import { StoreLeases } from "./ApiSuite"

const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.mergeAll(AccountsMemory.layerOver, Layer.effect(StoreLeases, MemoryLeases), healthy).pipe(
  Layer.provide(RepoMemory.layer)
)

accountsSuite("profile and template routes on the in-memory stores", stores)
adminSuite("admin routes on the in-memory stores", stores)
