import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import type { AuthUser } from "@scribe/core/auth/AuthUser"
import { Context } from "effect"
import { UnauthorizedError } from "./ApiErrors"

/** The authenticated caller, provided to handlers by the `Authentication` middleware. */
export class CurrentUser extends Context.Tag("@scribe/client/CurrentUser")<CurrentUser, AuthUser>() {}

/** Bearer JWT (a Supabase access token) on every route except health and docs. */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("@scribe/client/Authentication", {
  failure: UnauthorizedError,
  provides: CurrentUser,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
