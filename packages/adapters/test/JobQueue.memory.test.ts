import { Repo } from "@scribe/core/store/Repo"
import * as JobQueueMemory from "@scribe/core/testing/JobQueueMemory"
import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Effect, Layer } from "effect"
import { jobQueueContract, settings } from "./JobQueueContract"

jobQueueContract("JobQueue (memory)", {
  layer: Layer.empty,
  fresh: Effect.gen(function* () {
    const repo = yield* RepoMemory.make
    const queue = yield* JobQueueMemory.make(settings).pipe(Effect.provideService(Repo, repo))
    return { repo, queue }
  })
})
