import { Deferred, Duration, Effect, Ref } from "effect"

/** An in-process wake-up for fibers waiting on the queue: `wake` releases every waiter armed before it. */
export interface Wakeup {
  /** Arms a waiter now and returns the wait: it resolves at the first `wake` after arming. */
  readonly arm: Effect.Effect<Effect.Effect<void>>
  readonly wake: Effect.Effect<void>
}

export const make: Effect.Effect<Wakeup> = Effect.gen(function* () {
  const current = yield* Ref.make(yield* Deferred.make<void>())
  return {
    arm: Effect.map(Ref.get(current), Deferred.await),
    wake: Effect.flatMap(Deferred.make<void>(), (next) => Ref.getAndSet(current, next)).pipe(
      Effect.flatMap((fired) => Deferred.succeed(fired, undefined)),
      Effect.asVoid
    )
  }
})

/**
 * Waits for an armed wake-up, or until `untilMs` (on Effect's `Clock`; +1 ms so a strict `<` comparison holds by
 * then), but never longer than `poll` — the safety net for a wake-up lost on the way.
 */
export const waitFor = (armed: Effect.Effect<void>, now: number, untilMs: number | null, poll: Duration.Duration) => {
  const pollMs = Duration.toMillis(poll)
  const delay = untilMs === null ? pollMs : Math.min(pollMs, Math.max(0, untilMs - now + 1))
  return Effect.raceFirst(armed, Effect.sleep(Duration.millis(delay)))
}
