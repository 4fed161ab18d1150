import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import { MemoryLeases } from "@scribe/core/testing/MemoryLeases"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { StoreLeases, suite } from "./ApiSuite"

/** The in-memory Repo has no database to probe: it always answers. */
const healthy = Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })

suite(
  "HTTP API on the in-memory Repo",
  Layer.mergeAll(Layer.effect(StoreLeases, MemoryLeases), healthy).pipe(Layer.provideMerge(RepoMemory.layer))
)
