import { InternalServerError } from "@scribe/client/ApiErrors"
import type { RepoError } from "@scribe/core/Repo"
import { Effect } from "effect"

/** A store failure becomes a bare 500; its cause goes to the log, never to the client. */
export const internalError = (error: RepoError) =>
  Effect.logError("store failure", error.operation, error.cause).pipe(
    Effect.zipRight(Effect.fail(new InternalServerError()))
  )
