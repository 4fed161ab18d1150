import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import * as PipelineLive from "./PipelineLive"
import { makeStandaloneLayer } from "./WorkerLive"

/** A worker on its own: jobs from `DATABASE_URL` (and `REDIS_URL` dispatch when set), the configured pipeline. */
Layer.launch(makeStandaloneLayer(PipelineLive.layerConfig)).pipe(NodeRuntime.runMain)
