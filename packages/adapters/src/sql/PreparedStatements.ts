import { SqlError } from "@effect/sql/SqlError"
import { Context, Effect } from "effect"
import type Pg from "pg"

/**
 * Named prepared statements on PostgreSQL, for the few reads on every poll. `@effect/sql-pg` sends each statement
 * unnamed, so PostgreSQL parses and plans it on every call; a statement sent under a name is parsed once per connection
 * and, after a few runs, executed from a cached generic plan. For the fair queue listing (a statement of several CTEs)
 * planning was most of its server time: 1.3 ms a call unnamed against 0.13 ms prepared (pgbench, 100 000 jobs, see
 * docs/benchmarks.md). Only PostgreSQL has them: PGlite's single session plans each query, so callers fall back to the
 * `SqlClient` when this service is absent.
 */
export class PreparedStatements extends Context.Tag("@scribe/adapters/PreparedStatements")<
  PreparedStatements,
  {
    /**
     * Runs `text` under `name` with `values` ($1, $2, …). A name stands for one text for the life of the pool: use one
     * name per statement, never a text built per call.
     */
    readonly query: (
      name: string,
      text: string,
      values: ReadonlyArray<unknown>
    ) => Effect.Effect<ReadonlyArray<object>, SqlError>
  }
>() {}

/** Prepared statements on `pool`'s connections (node-postgres prepares a name once on each connection that runs it). */
export const fromPool = (pool: Pg.Pool): Context.Tag.Service<PreparedStatements> => ({
  query: (name, text, values) =>
    Effect.tryPromise({
      try: () => pool.query<object>({ name, text, values: [...values] }),
      catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
    }).pipe(
      Effect.map((result) => result.rows),
      Effect.withSpan("sql.execute", { kind: "client", attributes: { "db.system.name": "postgresql", name } })
    )
})
