import { HttpApiBuilder } from "@effect/platform"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import * as Queue from "@scribe/core/QueueUseCases"
import { Repo } from "@scribe/core/Repo"
import { Effect } from "effect"
import { internalError } from "./Internal"
import { queueItem } from "./Presenters"

export const QueueHttpLive = HttpApiBuilder.group(ScribeApi, "queue", (handlers) =>
  Effect.gen(function* () {
    const repo = yield* Repo
    const withRepo = Effect.provideService(Repo, repo)
    return handlers
      .handle("batch", ({ payload }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) =>
            Queue.submitBatch(user, {
              emailTemplate: payload.email_template,
              items: payload.items.map((item) => ({
                recipientName: item.recipient_name,
                recipientInterest: item.recipient_interest
              }))
            })
          ),
          Effect.map((ids) => ({
            queue_item_ids: ids,
            message: `Successfully queued ${ids.length} item${ids.length === 1 ? "" : "s"}`
          })),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
      .handle("list", () =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Queue.list(user)),
          Effect.map((entries) => entries.map(queueItem)),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
      .handle("cancel", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Queue.cancel(user, path.queue_item_id)),
          Effect.as({ message: "Queue item cancelled" }),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
  })
)
