import type { Effect } from "effect"
import { Context } from "effect"
import type { Paper } from "./Paper"
import type { UpstreamError } from "./UpstreamError"

/** The arXiv API: papers by an author, optionally about a topic, newest first. */
export class Arxiv extends Context.Tag("@scribe/core/Arxiv")<
  Arxiv,
  {
    readonly searchByAuthor: (query: {
      readonly author: string
      readonly topic: string | null
      readonly maxResults: number
    }) => Effect.Effect<ReadonlyArray<Paper>, UpstreamError>
  }
>() {}
