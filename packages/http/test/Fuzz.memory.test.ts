import { HealthProbe } from "@scribe/core/ops/HealthProbe"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer, Option } from "effect"
import { fuzzSuite } from "./FuzzSuite"

fuzzSuite(
  "fuzzed requests on the in-memory Repo",
  Layer.merge(
    RepoMemory.layer,
    Layer.succeed(HealthProbe, { check: Effect.succeed({ database: true, redis: Option.none() }) })
  )
)
