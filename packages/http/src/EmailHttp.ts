import { HttpApiBuilder } from "@effect/platform"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import * as Emails from "@scribe/core/EmailUseCases"
import { Repo } from "@scribe/core/Repo"
import { Effect } from "effect"
import { internalError } from "./Internal"
import { emailResponse, taskStatusResponse } from "./Presenters"

export const EmailHttpLive = HttpApiBuilder.group(ScribeApi, "email", (handlers) =>
  Effect.gen(function* () {
    const repo = yield* Repo
    const withRepo = Effect.provideService(Repo, repo)
    return handlers
      .handle("generate", ({ payload }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) =>
            Emails.generate(user, {
              emailTemplate: payload.email_template,
              recipientName: payload.recipient_name,
              recipientInterest: payload.recipient_interest
            })
          ),
          Effect.map((id) => ({ task_id: id })),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
      .handle("status", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Emails.status(user, path.task_id)),
          Effect.map(({ jobId, status }) => taskStatusResponse(jobId, status)),
          withRepo,
          Effect.catchTag("RepoError", internalError)
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
          Effect.map((emails) => emails.map(emailResponse)),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
      .handle("get", ({ path }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Emails.get(user, path.email_id)),
          Effect.map(emailResponse),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
      .handle("update", ({ path, payload }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Emails.setDisplayed(user, path.email_id, payload.displayed)),
          Effect.map(emailResponse),
          withRepo,
          Effect.catchTag("RepoError", internalError)
        )
      )
  })
)
