import { Effect, Option, Tracer } from "effect"

/**
 * A job remembers the span that submitted it as a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), so the
 * worker's attempt, run later and maybe elsewhere, joins the submitting request's trace.
 */
const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The current span as a `traceparent`, or `null` outside any span. */
export const current: Effect.Effect<string | null> = Effect.currentParentSpan.pipe(
  Effect.map((span) => {
    const traceParent = `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
    return pattern.test(traceParent) ? traceParent : null
  }),
  Effect.orElseSucceed(() => null)
)

/** The span a `traceparent` names, to parent work on; `None` when absent or malformed. */
export const parse = (traceParent: string | null): Option.Option<Tracer.ExternalSpan> => {
  const match = traceParent === null ? null : pattern.exec(traceParent)
  if (match === null) return Option.none()
  const [, traceId, spanId, flags] = match
  return Option.some(
    Tracer.externalSpan({ traceId: traceId!, spanId: spanId!, sampled: (Number.parseInt(flags!, 16) & 1) === 1 })
  )
}
