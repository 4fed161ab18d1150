import * as JobQueueMemory from "@scribe/core/testing/JobQueueMemory"
import { MemoryLeases } from "@scribe/core/testing/MemoryLeases"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer } from "effect"
import { jobQueueContract, settings } from "./JobQueueContract"

jobQueueContract("JobQueue (memory)", {
  layer: Layer.empty,
  order: "fifo",
  fresh: Effect.gen(function* () {
    const { repo, leases } = yield* RepoMemory.makeStore
    const queue = yield* JobQueueMemory.make(settings).pipe(Effect.provideService(MemoryLeases, leases))
    return { repo, queue }
  })
})
