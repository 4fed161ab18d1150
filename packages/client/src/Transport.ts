import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { ValidationError } from "./ApiErrors"
import { type FieldLocation, fieldErrors } from "./FieldErrors"
import { Unauthenticated } from "./ServiceErrors"

/**
 * The client's handling of a request around the contract: getting the access token, turning request-level failures
 * into `ScribeTransportError`, checking a request against the contract before sending it, idempotency keys.
 */

/**
 * The request never got a usable answer: the network failed, it timed out, a proxy answered outside the contract
 * (e.g. 502/503/504), or the body did not match the contract. `transient` ones are retried by the client.
 */
export class ScribeTransportError extends Data.TaggedError("ScribeTransportError")<{
  /** `Network`: no answer (refused, reset, DNS); `Timeout`; `Status`: a status the contract does not define; `Decode`: a body that does not match the contract; `Request`: the request could not be built. */
  readonly reason: "Network" | "Timeout" | "Status" | "Decode" | "Request"
  /** The HTTP status, when an answer arrived. */
  readonly status?: number
  readonly message: string
  readonly cause?: unknown
}> {
  /** The HTTP status when an answer arrived (as `status`). */
  get httpStatus(): number | undefined {
    return this.status
  }
}

const transientStatuses: ReadonlySet<number> = new Set([502, 503, 504])

/** True for failures worth retrying: no answer, a timeout, or 502/503/504 from a gateway. */
export const isTransient = (error: unknown): boolean =>
  error instanceof ScribeTransportError &&
  (error.reason === "Network" ||
    error.reason === "Timeout" ||
    (error.status !== undefined && transientStatuses.has(error.status)))

/** An access token, or nothing when signed out (protected calls then fail with `Unauthenticated`). */
export type AccessToken = string | null | undefined

/**
 * Called before every request, so a refreshed session is always used, e.g.
 * `async () => (await supabase.auth.getSession()).data.session?.access_token`.
 */
export type TokenProvider = () => AccessToken | PromiseLike<AccessToken> | Effect.Effect<AccessToken, unknown>

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> => Predicate.hasProperty(u, "then")

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

export const resolveToken = (provider: TokenProvider): Effect.Effect<AccessToken, Unauthenticated> =>
  Effect.try({ try: () => provider(), catch: identity }).pipe(
    Effect.flatMap((result) =>
      Effect.isEffect(result)
        ? result
        : isPromiseLike(result)
          ? Effect.tryPromise({ try: () => Promise.resolve(result), catch: identity })
          : Effect.succeed(result)
    ),
    Effect.catchAllCause((cause) =>
      Effect.fail(new Unauthenticated({ reason: `Could not get an access token: ${describe(Cause.squash(cause))}` }))
    )
  )

const fromHttpClientError = (error: HttpClientError.HttpClientError): ScribeTransportError => {
  const where = `${error.request.method} ${error.request.url}`
  if (error._tag === "RequestError") {
    return error.reason === "Transport"
      ? new ScribeTransportError({ reason: "Network", message: `${where}: no answer`, cause: error })
      : new ScribeTransportError({ reason: "Request", message: `${where}: ${error.message}`, cause: error })
  }
  const status = error.response.status
  // No cause: the status is outside the contract. A cause: the body could not be read (the connection broke).
  return error.cause === undefined
    ? new ScribeTransportError({ reason: "Status", status, message: `${where}: unexpected status ${status}` })
    : new ScribeTransportError({ reason: "Network", status, message: `${where}: body unreadable`, cause: error })
}

const decodeError = (cause: unknown) =>
  new ScribeTransportError({ reason: "Decode", message: "The answer does not match the contract", cause })

/** Request-level failures become `ScribeTransportError`; the contract's errors pass through. */
export const transport = <A, E, R>(
  self: Effect.Effect<A, E | HttpClientError.HttpClientError | ParseResult.ParseError | HttpApiDecodeError, R>
) =>
  self.pipe(
    Effect.catchIf(HttpClientError.isHttpClientError, (e) => Effect.fail(fromHttpClientError(e))),
    Effect.catchIf(ParseResult.isParseError, (e) => Effect.fail(decodeError(e))),
    Effect.catchIf(Schema.is(HttpApiDecodeError), (e) => Effect.fail(decodeError(e)))
  )

/** Refuses a request the contract would reject, with the 422 the server would have answered. */
export const validate = <A, I>(schema: Schema.Schema<A, I>, location: FieldLocation, value: A) =>
  Schema.encode(schema, { errors: "all" })(value).pipe(
    Effect.mapError(
      (error) =>
        new ValidationError({ detail: fieldErrors(location, ParseResult.ArrayFormatter.formatErrorSync(error)) })
    ),
    Effect.asVoid
  )

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/** A random UUID v4; `crypto.randomUUID` is missing outside secure contexts (plain http). */
export const randomKey = (): string => {
  if (typeof globalThis.crypto.randomUUID === "function") return globalThis.crypto.randomUUID()
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16))
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const h = hex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
