/**
 * What a Supabase access token must say once its signature holds (a user session, a UUID subject, storable claims),
 * and why jose refused one.
 */
import { AuthUser } from "@scribe/core/auth/AuthUser"
import { Unauthenticated } from "@scribe/core/auth/TokenVerifier"
import { UserId } from "@scribe/core/Ids"
import { Cause, Data, Effect, Option, Schema } from "effect"
import * as Jose from "jose"

/** A jose call that rejected, before it is classified. */
export class JoseError extends Data.TaggedError("JoseError")<{ readonly cause: unknown }> {}

const tokenErrorCodes = new Set([
  "ERR_JWS_INVALID",
  "ERR_JWT_INVALID",
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
  "ERR_JWK_INVALID"
])

/** Why jose refused a token, as the caller is told; a JWKS that could not be used is logged too. */
export const classify = (error: JoseError): Effect.Effect<never, Unauthenticated> => {
  const cause = error.cause
  if (cause instanceof Jose.errors.JWTExpired) {
    return Effect.fail(new Unauthenticated({ reason: "Token expired" }))
  }
  if (cause instanceof Jose.errors.JWTClaimValidationFailed) {
    const reason =
      cause.claim === "aud" ? "Invalid audience" : cause.claim === "iss" ? "Invalid issuer" : "Invalid token claims"
    return Effect.fail(new Unauthenticated({ reason }))
  }
  if (cause instanceof Jose.errors.JOSEError && tokenErrorCodes.has(cause.code)) {
    return Effect.fail(new Unauthenticated({ reason: "Invalid token" }))
  }
  // The JWKS could not be fetched or read (network, timeout, non-200, bad JSON): the token cannot be trusted.
  return Effect.logWarning("SupabaseAuth: could not use the JWKS to verify a token", Cause.fail(cause)).pipe(
    Effect.zipRight(Effect.fail(new Unauthenticated({ reason: "Invalid token" })))
  )
}

/** Supabase user ids are UUIDs; anything else in `sub` is not a user session (and could alias another account). */
const UserClaims = Schema.Struct({ sub: Schema.UUID, email: Schema.optional(Schema.Unknown) })
const decodeUserClaims = Schema.decodeUnknownOption(UserClaims)

/** The longest address SMTP can carry is 254; anything far past it is not an email. */
const maxEmailLength = 320
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** A claim we store must be text a database keeps as it is: no control characters, no unpaired surrogates. */
const storableClaim = (value: string) =>
  value.length <= maxEmailLength && !controlCharacter.test(value) && !loneSurrogate.test(value)

/** `app_metadata.role`: set only through Supabase's service role, so users cannot give it to themselves. */
const appRoleOf = (payload: Jose.JWTPayload): string | undefined => {
  const metadata = payload.app_metadata
  if (typeof metadata !== "object" || metadata === null || !("role" in metadata)) return undefined
  return typeof metadata.role === "string" ? metadata.role : undefined
}

const fail = (reason: string) => Effect.fail(new Unauthenticated({ reason }))

/** The user a verified token's payload stands for, or why it stands for none. */
export const userOf = (payload: Jose.JWTPayload): Effect.Effect<AuthUser, Unauthenticated> => {
  // The anon and service_role keys are valid JWTs too: only user sessions are accepted.
  if (payload.role !== "authenticated") return fail("Invalid role")
  const claims = decodeUserClaims(payload)
  if (Option.isNone(claims)) return fail("Invalid subject")
  const email = claims.value.email
  if (typeof email === "string" && !storableClaim(email)) return fail("Invalid token claims")
  const appRole = appRoleOf(payload)
  return Effect.succeed(
    new AuthUser({
      id: UserId.make(claims.value.sub.toLowerCase()),
      email: typeof email === "string" && email.length > 0 ? email : null,
      ...(appRole !== undefined ? { appRole } : {})
    })
  )
}
