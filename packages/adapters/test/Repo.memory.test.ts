import * as RepoMemory from "@scribe/core/testing/RepoMemory"
import { Layer } from "effect"
import { repoContract } from "./RepoContract"

repoContract("Repo (memory)", { layer: Layer.empty, fresh: RepoMemory.makeStoreWith("fifo") })
