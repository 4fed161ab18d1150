import * as AuthorCacheMemory from "@scribe/core/testing/AuthorCacheMemory"
import { Effect, Layer } from "effect"
import { authorCacheContract } from "./AuthorCacheContract"

authorCacheContract("AuthorCache (memory)", {
  layer: Layer.empty,
  fresh: (ttl) => Effect.map(AuthorCacheMemory.make(ttl), (m) => m.cache)
})
