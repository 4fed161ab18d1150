import { Effect, Option } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import { currentDate } from "../Now"
import { type Profile, UserNotFound } from "./Profile"
import { ProfileRepo } from "./ProfileRepo"

const found = (user: AuthUser) => (profile: Option.Option<Profile>) =>
  Option.match(profile, {
    onNone: () => Effect.fail(new UserNotFound({ id: user.id })),
    onSome: Effect.succeed
  })

/** The caller's profile, created with this display name unless it exists already (then returned unchanged). */
export const initialize = Effect.fn("Profiles.initialize")(function* (user: AuthUser, displayName: string | null) {
  const profiles = yield* ProfileRepo
  return yield* profiles.initialize(user, displayName, yield* currentDate)
})

export const get = Effect.fn("Profiles.get")(function* (user: AuthUser) {
  const profiles = yield* ProfileRepo
  return yield* Effect.flatMap(profiles.find(user.id), found(user))
})

export const completeOnboarding = Effect.fn("Profiles.completeOnboarding")(function* (user: AuthUser) {
  const profiles = yield* ProfileRepo
  return yield* Effect.flatMap(profiles.markOnboarded(user.id), found(user))
})

/** Keeps `template` (validated by the contract: 1–10 000 code points, not only whitespace) in the caller's profile. */
export const saveTemplate = Effect.fn("Profiles.saveTemplate")(function* (user: AuthUser, template: string) {
  const profiles = yield* ProfileRepo
  return yield* Effect.flatMap(profiles.saveTemplate(user.id, template), found(user))
})
