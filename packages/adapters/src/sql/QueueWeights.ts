import { SqlClient } from "@effect/sql"
import type { UserId } from "@scribe/core/Ids"
import { InvalidQueueWeight, isQueueWeight } from "@scribe/core/jobs/FairOrder"
import { Effect } from "effect"
import { repoMethod } from "./RepoMethod"

/**
 * `Repo.setQueueWeight`: the user's weight in the fair order, kept with the user's turn in `queue_users` (migration
 * 0015), which the claim trigger reads. A user with nothing pending yet gets a row with nothing pending (its turn is
 * drawn when it enters the line).
 */
export const make = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  return {
    setQueueWeight: (userId: UserId, weight: number) =>
      isQueueWeight(weight)
        ? repoMethod("setQueueWeight")(sql`
            INSERT INTO queue_users (user_id, pending, turn, weight) VALUES (${userId}, 0, 0, ${weight})
            ON CONFLICT (user_id) DO UPDATE SET weight = EXCLUDED.weight`).pipe(Effect.asVoid)
        : Effect.fail(new InvalidQueueWeight({ weight }))
  }
})
