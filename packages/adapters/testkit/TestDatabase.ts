import { randomUUID } from "node:crypto"
import * as Reactivity from "@effect/experimental/Reactivity"
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "../src/Database"

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

/** A fresh, uniquely named, migrated database for one suite; dropped when the layer's scope closes. */
export const layerTempPostgres = (options: { readonly maxConnections?: number } = {}) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const name = `scribe_t_${randomUUID().replaceAll("-", "").slice(0, 16)}`
      const admin = yield* PgClient.make({ url: Redacted.make(adminUrl) })
      yield* Effect.acquireRelease(admin.unsafe(`CREATE DATABASE ${name}`), () =>
        admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.orDie)
      )
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      return Database.layerPg(url.toString(), options)
    })
  ).pipe(Layer.provide(Reactivity.layer)) as Layer.Layer<SqlClient.SqlClient, unknown>

/**
 * Declares a suite that needs the machine's Postgres: with `CI=true` an unreachable Postgres fails the run, elsewhere
 * the suite is skipped with a message.
 */
export const describePostgres = async (name: string, body: () => void) => {
  if (await postgresReachable) return body()
  if (process.env.CI === "true") {
    describe(name, () => {
      it("needs a reachable Postgres in CI", () => {
        throw new Error(`Postgres is unreachable at ${adminUrl}; with CI=true this suite fails instead of skipping`)
      })
    })
    return
  }
  console.warn(`${name} skipped: Postgres is unreachable at ${adminUrl} (set CI=true to fail instead)`)
  describe.skip(`${name} (skipped: Postgres unreachable at ${adminUrl})`, () => {
    it("needs Postgres", () => {})
  })
}
