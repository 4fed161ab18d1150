import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import * as Emails from "@scribe/core/emails/EmailUseCases"
import { Effect } from "effect"
import { orInternal } from "./Internal"
import { emailResponse, encodeEmailResponse, taskStatusResponse } from "./Presenters"
import { withRetryAfter } from "./RetryAfter"

export const EmailHttpLive = HttpApiBuilder.group(ScribeApi, "email", (handlers) =>
  Effect.succeed(
    handlers
      .handle("generate", ({ payload, headers }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) =>
            Emails.generate(
              user,
              {
                emailTemplate: payload.email_template,
                recipientName: payload.recipient_name,
                recipientInterest: payload.recipient_interest
              },
              headers["idempotency-key"]
            )
          ),
          Effect.map((id) => ({ task_id: id })),
          withRetryAfter,
          orInternal
        )
      )
      .handle("status", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Emails.status(user, path.task_id)),
          Effect.map(({ jobId, status }) => taskStatusResponse(jobId, status)),
          orInternal
        )
      )
      .handle("list", ({ urlParams }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) =>
            Emails.list(user, {
              limit: urlParams.limit,
              offset: urlParams.offset,
              includeDiscarded: urlParams.include_discarded
            })
          ),
          // Already in its wire encoding (see `encodeEmailResponse`): HttpApi sends a response as it is.
          Effect.map((emails) =>
            HttpServerResponse.unsafeJson(emails.map((e) => encodeEmailResponse(emailResponse(e))))
          ),
          orInternal
        )
      )
      .handle("get", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Emails.get(user, path.email_id)),
          Effect.map(emailResponse),
          orInternal
        )
      )
      .handle("update", ({ path, payload }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Emails.setDisplayed(user, path.email_id, payload.displayed)),
          Effect.map(emailResponse),
          orInternal
        )
      )
  )
)
