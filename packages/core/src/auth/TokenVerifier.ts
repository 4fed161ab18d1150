import type { Effect, Redacted } from "effect"
import { Context, Schema } from "effect"
import type { AuthUser } from "./AuthUser"

/** The caller could not be authenticated: no token, or one that is malformed, expired, forged or not a user's. */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  reason: Schema.String
}) {}

/** Turns a bearer access token into the user it was issued to. */
export class TokenVerifier extends Context.Tag("@scribe/core/TokenVerifier")<
  TokenVerifier,
  {
    readonly verify: (token: Redacted.Redacted<string>) => Effect.Effect<AuthUser, Unauthenticated>
  }
>() {}
