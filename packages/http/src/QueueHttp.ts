import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import * as Queue from "@scribe/core/jobs/QueueUseCases"
import { Effect } from "effect"
import { orInternal } from "./Internal"
import { encodeQueueEntry } from "./Presenters"
import { withRetryAfter } from "./RetryAfter"

export const QueueHttpLive = HttpApiBuilder.group(ScribeApi, "queue", (handlers) =>
  Effect.succeed(
    handlers
      .handle("batch", ({ payload, headers }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) =>
            Queue.submitBatch(
              user,
              {
                emailTemplate: payload.email_template,
                items: payload.items.map((item) => ({
                  recipientName: item.recipient_name,
                  recipientInterest: item.recipient_interest
                }))
              },
              headers["idempotency-key"]
            )
          ),
          Effect.map((ids) => ({
            queue_item_ids: ids,
            message: `Successfully queued ${ids.length} item${ids.length === 1 ? "" : "s"}`
          })),
          withRetryAfter,
          orInternal
        )
      )
      .handle("list", () =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Queue.list(user)),
          // Already in its wire encoding (see `encodeQueueEntry`): HttpApi sends a response as it is.
          Effect.map((entries) => HttpServerResponse.unsafeJson(entries.map(encodeQueueEntry))),
          orInternal
        )
      )
      .handle("cancel", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Queue.cancel(user, path.queue_item_id)),
          Effect.as({ message: "Queue item cancelled" }),
          orInternal
        )
      )
  )
)
