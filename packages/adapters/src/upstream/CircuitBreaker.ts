import { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Clock, Data, Deferred, Duration, Effect, Ref } from "effect"
import type { PlainHttpError } from "./PlainHttp"

/**
 * A circuit breaker per upstream: an upstream that cannot be reached (its name does not resolve, the connection is
 * refused) is skipped at once for a cool-down, and one that keeps failing (5xx, timeouts) after a few failures in a
 * row; after the cool-down one call is let through to try it, and the breaker closes when that call succeeds or opens
 * again for twice as long (up to a maximum) when it fails. While it is open, calls fail at once without spending the
 * upstream's budget, and calls already waiting for budget stop waiting. Effect 3 has no circuit breaker; this is the
 * small one the adapters share (docs/decisions/circuit-breaker.md).
 */

export interface Options {
  /** Names the upstream in logs and errors ("arXiv"). */
  readonly label: string
  /** Server failures in a row (5xx, timeouts, broken answers) that open the breaker (default 3). */
  readonly failureThreshold?: number
  /** How long an open breaker skips the upstream (default 30 s). */
  readonly coolDown?: Duration.DurationInput
  /** Each failed trial doubles the cool-down, up to this (default 5 minutes). */
  readonly maxCoolDown?: Duration.DurationInput
}

/** What a call says about the upstream's health. */
export type Outcome = "success" | "unreachable" | "server_error" | "neutral"

/** The upstream is being skipped; `retryInMs` until a call may try it again. */
export class BreakerOpen extends Data.TaggedError("BreakerOpen")<{
  readonly label: string
  readonly retryInMs: number
  /** Why it opened (the last failure, as the transport or the upstream said it). */
  readonly reason: string
}> {
  override get message() {
    return `${this.label} is skipped for ${Math.ceil(this.retryInMs / 1000)} s after failing: ${this.reason}`
  }
}

type State =
  | { readonly _tag: "Closed"; readonly failures: number }
  | { readonly _tag: "Open"; readonly until: number; readonly coolDownMs: number; readonly reason: string }
  | { readonly _tag: "HalfOpen"; readonly coolDownMs: number; readonly reason: string }

export interface CircuitBreaker {
  /** Lets a call through, or fails at once while the upstream is skipped (the first call after a cool-down tries). */
  readonly admit: Effect.Effect<void, BreakerOpen>
  /** Records how an admitted call went. */
  readonly record: (outcome: Outcome, reason?: string) => Effect.Effect<void>
  /** `take` (a wait for budget) stopped as soon as the breaker opens, and not started while it is open. */
  readonly spend: <E>(take: Effect.Effect<void, E>) => Effect.Effect<void, E | BreakerOpen>
  readonly state: Effect.Effect<"closed" | "open" | "half_open">
}

export const make = (options: Options): Effect.Effect<CircuitBreaker> =>
  Effect.gen(function* () {
    const threshold = Math.max(1, options.failureThreshold ?? 3)
    const baseMs = Duration.toMillis(options.coolDown ?? "30 seconds")
    const maxMs = Math.max(baseMs, Duration.toMillis(options.maxCoolDown ?? "5 minutes"))
    const state = yield* Ref.make<State>({ _tag: "Closed", failures: 0 })
    // Completed when the breaker opens; a new one is made when it closes.
    const openedSignal = yield* Ref.make(yield* Deferred.make<void>())

    const open = (now: number, coolDownMs: number, reason: string) =>
      Effect.gen(function* () {
        yield* Ref.set(state, { _tag: "Open", until: now + coolDownMs, coolDownMs, reason })
        yield* Deferred.succeed(yield* Ref.get(openedSignal), undefined)
        yield* Effect.logWarning(
          `Skipping ${options.label} for ${Math.round(coolDownMs / 1000)} s: it could not be reached or kept failing`,
          reason
        )
      })

    const admit = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const decision = yield* Ref.modify(state, (s): readonly [BreakerOpen | "pass" | "trial", State] => {
        switch (s._tag) {
          case "Closed":
            return ["pass", s]
          case "Open":
            return now >= s.until
              ? ["trial", { _tag: "HalfOpen", coolDownMs: s.coolDownMs, reason: s.reason }]
              : [new BreakerOpen({ label: options.label, retryInMs: s.until - now, reason: s.reason }), s]
          case "HalfOpen":
            // One call is trying the upstream; the others do not pile onto it.
            return [new BreakerOpen({ label: options.label, retryInMs: 1000, reason: s.reason }), s]
        }
      })
      if (decision === "trial") yield* Ref.set(openedSignal, yield* Deferred.make<void>())
      else if (decision !== "pass") return yield* decision
    })

    const record = (outcome: Outcome, reason = "") =>
      Effect.gen(function* () {
        if (outcome === "neutral") return
        const now = yield* Clock.currentTimeMillis
        const current = yield* Ref.get(state)
        if (outcome === "success") {
          if (current._tag !== "Closed" || current.failures > 0) {
            yield* Ref.set(state, { _tag: "Closed", failures: 0 })
            if (current._tag !== "Closed") yield* Effect.logInfo(`Asking ${options.label} again: it answered`)
          }
          return
        }
        switch (current._tag) {
          case "HalfOpen":
            return yield* open(now, Math.min(maxMs, current.coolDownMs * 2), reason)
          case "Closed":
            if (outcome === "unreachable" || current.failures + 1 >= threshold) return yield* open(now, baseMs, reason)
            return yield* Ref.set(state, { _tag: "Closed", failures: current.failures + 1 })
          case "Open":
            return
        }
      })

    const spend = <E>(take: Effect.Effect<void, E>): Effect.Effect<void, E | BreakerOpen> =>
      Effect.zipRight(
        admit,
        Effect.flatMap(Ref.get(openedSignal), (signal) =>
          Effect.raceFirst(
            take,
            Effect.zipRight(
              Deferred.await(signal),
              Effect.flatMap(Ref.get(state), (s) =>
                Effect.fail(
                  new BreakerOpen({
                    label: options.label,
                    retryInMs: s._tag === "Open" ? s.coolDownMs : 1000,
                    reason: s._tag === "Closed" ? "" : s.reason
                  })
                )
              )
            )
          )
        )
      )

    return {
      admit,
      record,
      spend,
      state: Effect.map(Ref.get(state), (s) =>
        s._tag === "Closed" ? ("closed" as const) : s._tag === "Open" ? ("open" as const) : ("half_open" as const)
      )
    }
  })

const unreachableCodes = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL"
])

const codeOf = (cause: unknown): string | null =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : null

/** A transport failure as the breaker sees it: a name that does not resolve or a refused connection is unreachable. */
export const transportOutcome = (error: PlainHttpError): Outcome => {
  if (error.reason === "request") {
    const code = codeOf(error.cause)
    return code !== null && unreachableCodes.has(code) ? "unreachable" : "server_error"
  }
  return "server_error"
}

/**
 * An HTTP answer as the breaker sees it: a throttle (429, or a 503 the upstream means as one) says nothing, another
 * 5xx is a server failure, anything else is an answer.
 */
export const statusOutcome = (status: number, throttled = status === 429): Outcome =>
  throttled || status === 429 ? "neutral" : status >= 500 ? "server_error" : "success"

/** A skipped call as the adapter's failure: `unavailable`, retried after the cool-down, in plain words for users. */
export const skipped =
  (service: UpstreamError["service"]) =>
  (open: BreakerOpen): UpstreamError =>
    new UpstreamError({
      service,
      kind: "unavailable",
      message: open.message,
      retryAfterMs: open.retryInMs,
      hint: `not asked for ${Math.ceil(open.retryInMs / 1000)} s after failing moments ago`
    })

/** The plain-words reason for a transport failure users may see, when there is one. */
export const transportHint = (error: PlainHttpError): { readonly hint?: string } =>
  transportOutcome(error) === "unreachable" ? { hint: "could not be reached" } : {}
