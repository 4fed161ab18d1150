import * as JobQueueMemory from "@scribe/core/testing/JobQueueMemory"
import { MemoryLeases } from "@scribe/core/testing/MemoryLeases"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer } from "effect"
import { jobQueueContract, settings } from "./JobQueueContract"

for (const order of ["fair", "fifo"] as const) {
  jobQueueContract(`JobQueue (memory, ${order} order)`, {
    layer: Layer.empty,
    order,
    fresh: Effect.gen(function* () {
      const { repo, leases } = yield* RepoMemory.makeStoreWith(order)
      const queue = yield* JobQueueMemory.make(settings).pipe(Effect.provideService(MemoryLeases, leases))
      return { repo, queue }
    })
  })
}
