import { Clock, Effect } from "effect"

/** The current instant from Effect's `Clock` (the clock port; `TestClock` in tests). */
export const currentDate: Effect.Effect<Date> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/** A fresh random UUID (v4). */
export const randomUuid: Effect.Effect<string> = Effect.sync(() => crypto.randomUUID())
