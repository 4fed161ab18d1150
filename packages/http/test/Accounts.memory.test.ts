import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as AccountsMemory from "@scribe/core/testing/AccountsMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { accountsSuite } from "./AccountsSuite"
import { adminSuite } from "./AdminSuite"

const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
const stores = Layer.merge(AccountsMemory.layerOver.pipe(Layer.provide(RepoMemory.layer)), healthy)

accountsSuite("profile and template routes on the in-memory stores", stores)
adminSuite("admin routes on the in-memory stores", stores)
