import { InternalServerError } from "@scribe/client/ApiErrors"
import { RepoError } from "@scribe/core/store/Repo"
import { Cause, Effect, Predicate } from "effect"

/** A store failure becomes a bare 500; its cause goes to the log, never to the client. */
export const internalError = (error: RepoError) =>
  Effect.logError(`store failure in ${error.operation}`, Cause.die(error.cause)).pipe(
    Effect.zipRight(Effect.fail(new InternalServerError()))
  )

const isRepoError = (u: unknown): u is RepoError => Predicate.isTagged(u, "RepoError") && u instanceof RepoError

/** Handlers end with this: store failures become 500s, everything else passes through typed. */
export const orInternal = <A, E, R>(
  effect: Effect.Effect<A, E | RepoError, R>
): Effect.Effect<A, Exclude<E, RepoError> | InternalServerError, R> =>
  Effect.catchIf(effect, isRepoError, internalError)
