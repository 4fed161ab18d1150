import { Clock, Context, Effect, Layer } from "effect"
import type { Job } from "../jobs/Job"
import { queueWindowStart } from "../jobs/Job"
import { Repo } from "../store/Repo"
import type { AuthorQuery } from "../upstream/ScholarlySource"

/**
 * The other recipients of a job's batch that are still to be written (pending or running), in queue order: what the
 * pipeline looks up ahead, in grouped requests, when a batch's first job starts. A store that cannot tell gives none.
 */
export class BatchRecipients extends Context.Tag("@scribe/core/BatchRecipients")<
  BatchRecipients,
  { readonly others: (job: Job) => Effect.Effect<ReadonlyArray<AuthorQuery>> }
>() {}

/** `BatchRecipients` read from the job store: the user's queue listing, filtered to the batch. */
export const layerFromRepo: Layer.Layer<BatchRecipients, never, Repo> = Layer.effect(
  BatchRecipients,
  Effect.map(Repo, (repo) =>
    BatchRecipients.of({
      others: (job) =>
        job.batchId === null
          ? Effect.succeed([])
          : Effect.gen(function* () {
              const now = new Date(yield* Clock.currentTimeMillis)
              const queue = yield* repo.listQueue(job.userId, queueWindowStart(now))
              return queue
                .map((entry) => entry.job)
                .filter(
                  (j) =>
                    j.batchId === job.batchId &&
                    j.id !== job.id &&
                    (j.status === "pending" || j.status === "processing")
                )
                .sort((a, b) => a.seq - b.seq)
                .map((j) => ({ name: j.recipientName, interest: j.recipientInterest }))
            }).pipe(
              Effect.catchAll((error) =>
                Effect.logWarning("Pipeline: could not read the batch's recipients; no lookups ahead", error).pipe(
                  Effect.as([])
                )
              ),
              Effect.withSpan("BatchRecipients.others")
            )
    })
  )
)
