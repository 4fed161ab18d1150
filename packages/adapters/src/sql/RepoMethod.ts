import { RepoError } from "@scribe/core/store/Repo"
import { Effect } from "effect"

/**
 * A `Repo` method at the SQL edge: whatever its statements fail with (the driver, a row that does not decode) becomes a
 * `RepoError` naming the method, and its span is `Repo.<operation>`.
 */
export const repoMethod =
  (operation: string) =>
  <A>(self: Effect.Effect<A, unknown>): Effect.Effect<A, RepoError> =>
    self.pipe(
      Effect.mapError((cause) => new RepoError({ operation, cause })),
      Effect.withSpan(`Repo.${operation}`)
    )
