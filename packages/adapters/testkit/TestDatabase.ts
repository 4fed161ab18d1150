import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { describeNeeding, service } from "./ServiceSuite"

/** An existing database on the machine's Postgres; suites create (and drop) their own databases beside it. */
export const adminUrl = process.env.SCRIBE_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

export const postgresReachable: Promise<boolean> = PgClient.make({
  url: Redacted.make(adminUrl),
  connectTimeout: "3 seconds"
}).pipe(
  Effect.as(true),
  Effect.scoped,
  Effect.provide(Reactivity.layer),
  Effect.catchAll(() => Effect.succeed(false)),
  Effect.runPromise
)

/**
 * Declares a suite that needs the machine's Postgres: with `CI=true` an unreachable Postgres fails the run, elsewhere
 * the suite is skipped, saying so in one line.
 */
export const describePostgres = describeNeeding(
  service("Postgres (SCRIBE_TEST_DATABASE_URL)", adminUrl, postgresReachable)
)
