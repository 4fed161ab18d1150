import { HttpApiBuilder } from "@effect/platform"
import { CurrentUser } from "@scribe/client/Authentication"
import { ScribeApi } from "@scribe/client/ScribeApi"
import type { UserResponse } from "@scribe/client/UserApi"
import type { Profile } from "@scribe/core/users/Profile"
import * as Profiles from "@scribe/core/users/ProfileUseCases"
import { Effect } from "effect"
import { orInternal } from "./Internal"

export const userResponse = (p: Profile): typeof UserResponse.Type => ({
  id: p.id,
  email: p.email,
  display_name: p.displayName,
  generation_count: p.generationCount,
  template_count: p.templateCount,
  onboarded: p.onboarded,
  email_template: p.emailTemplate,
  created_at: p.createdAt
})

export const UserHttpLive = HttpApiBuilder.group(ScribeApi, "user", (handlers) =>
  Effect.succeed(
    handlers
      .handle("init", ({ payload }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Profiles.initialize(user, payload.display_name)),
          Effect.map(userResponse),
          orInternal
        )
      )
      .handle("profile", () => CurrentUser.pipe(Effect.flatMap(Profiles.get), Effect.map(userResponse), orInternal))
      .handle("onboarding", () =>
        CurrentUser.pipe(Effect.flatMap(Profiles.completeOnboarding), Effect.map(userResponse), orInternal)
      )
      .handle("template", ({ payload }) =>
        CurrentUser.pipe(
          Effect.flatMap((user) => Profiles.saveTemplate(user, payload.template)),
          Effect.map(userResponse),
          orInternal
        )
      )
  )
)
