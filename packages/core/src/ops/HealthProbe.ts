import type { Effect, Option } from "effect"
import { Context } from "effect"

export interface HealthReport {
  readonly database: boolean
  /** `None` when the deployment has no Redis. */
  readonly redis: Option.Option<boolean>
}

/** Checks that the stores the service depends on answer. Never fails: a failed check is `false`. */
export class HealthProbe extends Context.Tag("@scribe/core/HealthProbe")<
  HealthProbe,
  { readonly check: Effect.Effect<HealthReport> }
>() {}
