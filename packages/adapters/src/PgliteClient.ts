import { mkdir } from "node:fs/promises"
import { resolve } from "node:path"
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { PGlite, type Results } from "@electric-sql/pglite"
import { Context, Effect, Layer, type Scope, Stream } from "effect"

/**
 * An `@effect/sql` client over PGlite, in process (no socket).
 *
 * Values come back as PGlite parses them: timestamptz/timestamp/date → `Date`, json/jsonb → parsed value,
 * int8 → `number` (a `bigint` beyond ±2^53), numeric → `string`, bytea → `Uint8Array`, bool → `boolean`.
 *
 * PGlite is a single session: every statement outside a transaction, and every transaction as a whole, holds one
 * lock, so concurrent fibers never run statements inside another fiber's transaction. A statement issued while a
 * transaction is open (outside that transaction's fiber) waits for it to end.
 */
export interface PgliteClient extends SqlClient.SqlClient {
  readonly config: Options
}

export const PgliteClient = Context.GenericTag<PgliteClient>("@scribe/adapters/PgliteClient")

export interface Options {
  /** A directory for the database files, or `"memory"` to keep the database in memory. */
  readonly dataDir: string
}

const failure = (message: string) => (cause: unknown) => new SqlError({ cause, message })

class PgliteConnection implements Connection {
  constructor(private readonly db: PGlite) {}

  private run<Row>(sql: string, params: ReadonlyArray<unknown>, rowMode: "array" | "object" = "object") {
    return Effect.tryPromise({
      try: () => this.db.query<Row>(sql, [...params], { rowMode }),
      catch: failure("Failed to execute statement")
    })
  }

  execute(
    sql: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  ) {
    return Effect.map(this.run<object>(sql, params), (result) =>
      transformRows ? transformRows(result.rows) : result.rows
    )
  }

  executeRaw(sql: string, params: ReadonlyArray<unknown>) {
    return this.run<object>(sql, params)
  }

  executeValues(sql: string, params: ReadonlyArray<unknown>) {
    return Effect.map(this.run<ReadonlyArray<unknown>>(sql, params, "array"), (result) => result.rows)
  }

  /** Without parameters this uses the simple protocol, so a text may hold several statements (as with node-postgres). */
  executeUnprepared(
    sql: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  ) {
    if (params.length > 0) return this.execute(sql, params, transformRows)
    return Effect.tryPromise({
      try: () => this.db.exec(sql),
      catch: failure("Failed to execute statement")
    }).pipe(
      Effect.map((results: Array<Results>) => {
        const rows = results.map((result) => (transformRows ? transformRows(result.rows) : result.rows))
        return rows.length === 1 ? (rows[0] ?? []) : rows
      })
    )
  }

  /** PGlite has no cursors: the result is read whole, then streamed. */
  executeStream(
    sql: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  ) {
    return Stream.fromIterableEffect(this.execute(sql, params, transformRows))
  }
}

const open = (dataDir: string) =>
  Effect.tryPromise({
    try: async () => {
      if (dataDir === "memory") return PGlite.create()
      const path = resolve(dataDir)
      await mkdir(path, { recursive: true })
      return PGlite.create(path)
    },
    catch: failure(`PgliteClient: failed to open the database in ${dataDir}`)
  })

export const make = (options: Options): Effect.Effect<PgliteClient, SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1)
    const db = yield* Effect.acquireRelease(open(options.dataDir), (db) =>
      lock
        .withPermits(1)(Effect.promise(() => db.close()))
        .pipe(Effect.catchAllDefect((defect) => Effect.logWarning("PgliteClient: closing the database failed", defect)))
    )
    const connection = new PgliteConnection(db)
    // Held for one statement (plain acquirer) or for a whole transaction (its scope closes after COMMIT/ROLLBACK).
    const locked: Effect.Effect<Connection, never, Scope.Scope> = Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        restore(lock.take(1)),
        Effect.as(
          Effect.addFinalizer(() => lock.release(1)),
          connection
        )
      )
    )
    const client = yield* SqlClient.make({
      acquirer: locked,
      transactionAcquirer: locked,
      compiler: makeCompiler(),
      spanAttributes: [
        ["db.system.name", "postgresql"],
        ["db.namespace", options.dataDir]
      ]
    })
    return Object.assign(client, { config: options })
  })

/** Provides the client as both `PgliteClient` and `SqlClient`; PGlite is closed when the layer's scope closes. */
export const layer = (options: Options): Layer.Layer<PgliteClient | SqlClient.SqlClient, SqlError> =>
  Layer.scopedContext(
    Effect.map(make(options), (client) =>
      Context.make(PgliteClient, client).pipe(Context.add(SqlClient.SqlClient, client))
    )
  ).pipe(Layer.provide(Reactivity.layer))
