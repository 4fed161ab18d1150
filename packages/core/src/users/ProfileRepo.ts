import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { AuthUser } from "../auth/AuthUser"
import type { UserId } from "../Ids"
import type { RepoError } from "../store/Repo"
import type { Profile } from "./Profile"

/**
 * Users' profiles. Counts are computed from the stored emails and templates when a profile is read, so they are exact
 * however many jobs complete at once. Every method is atomic on its own.
 */
export class ProfileRepo extends Context.Tag("@scribe/core/ProfileRepo")<
  ProfileRepo,
  {
    readonly find: (userId: UserId) => Effect.Effect<Option.Option<Profile>, RepoError>
    /**
     * Creates the user if unknown and sets the display name if none is set yet, then returns the profile: a second
     * call changes nothing.
     */
    readonly initialize: (user: AuthUser, displayName: string | null, now: Date) => Effect.Effect<Profile, RepoError>
    readonly markOnboarded: (userId: UserId) => Effect.Effect<Option.Option<Profile>, RepoError>
    readonly saveTemplate: (userId: UserId, template: string) => Effect.Effect<Option.Option<Profile>, RepoError>
  }
>() {}
