import { Config, Duration } from "effect"

/** What every dispatch adapter is built with. */
export interface Options {
  /** How long a claim holds its job unless renewed. */
  readonly leaseDuration: Duration.DurationInput
  /** The longest an idle worker waits without a wake-up: the safety net for a lost one, not the dispatch path. */
  readonly pollInterval: Duration.DurationInput
}

/** A positive number of seconds from `name`, `fallback` when unset. */
export const seconds = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.withDefault(fallback),
    Config.validate({
      message: `${name} must be a positive number of seconds`,
      validation: (n) => Number.isFinite(n) && n > 0
    }),
    Config.map(Duration.seconds)
  )

/** `SCRIBE_LEASE_SECONDS` (60) and `SCRIBE_QUEUE_POLL_SECONDS` (10). */
export const config: Config.Config<Options> = Config.all({
  leaseDuration: seconds("SCRIBE_LEASE_SECONDS", 60),
  pollInterval: seconds("SCRIBE_QUEUE_POLL_SECONDS", 10)
})
