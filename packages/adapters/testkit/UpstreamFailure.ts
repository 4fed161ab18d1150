import type { UpstreamError } from "@scribe/core/upstream/UpstreamError"
import { Effect } from "effect"

/** The failure an adapter call must end in, as the fields tests compare: kind, message and Retry-After. */
export const failure = <A, R>(effect: Effect.Effect<A, UpstreamError, R>) =>
  Effect.flip(effect).pipe(Effect.map((e) => ({ kind: e.kind, message: e.message, retryAfterMs: e.retryAfterMs })))
