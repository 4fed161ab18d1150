import { existsSync, openAsBlob } from "node:fs"
import { chmod, mkdir, readdir } from "node:fs/promises"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { PGlite, parse, protocol, type Results } from "@electric-sql/pglite"
import { Context, Effect, Layer, type Scope, Stream } from "effect"

const { serialize } = protocol

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
  /**
   * A fresh data directory as a tarball (PGlite's `dumpDataDir`), loaded into a data directory that holds no database
   * yet instead of running initdb, which starts a second PGlite and initdb's own WebAssembly (~800 MB at peak against
   * ~250 MB). Default: {@link defaultSeed} when that file exists; `null`, or a missing file, runs initdb.
   */
  readonly seed?: string | null
}

/** `pglite-seed.tgz` beside this module: the bundle's folder, where `scripts/build.ts` puts it. */
export const defaultSeed: string = fileURLToPath(new URL("pglite-seed.tgz", import.meta.url))

/**
 * Postgres settings on top of PGlite's own. initdb sizes shared_buffers at 128 MB, and PGlite's allocator zeroes the
 * whole pool when Postgres starts, so all of it is resident from the first second (real Postgres touches it lazily);
 * pages beyond 16 MB are read back through the file system's cache.
 */
const settings = {
  startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"],
  initDbStartParams: ["-c", "shared_buffers=16MB"]
}

const failure = (message: string) => (cause: unknown) => new SqlError({ cause, message })

/** A statement prepared on the session: its name and the parameter types Postgres inferred for it. */
interface Prepared {
  readonly name: string
  readonly types: ReadonlyArray<number>
}

/** Prepared statements kept per session; the least recently used is closed beyond this. */
const preparedCapacity = 256

/**
 * A parameterless statement after which prepared statements are forgotten: it may change what they return (a
 * migration adding a column to a `SELECT *`). Transaction control and plain queries keep them.
 */
const schemaChange =
  /^\s*(?:(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)\s*)*(?:create|alter|drop|discard|deallocate|reset|set|do|import)\b/i

/** Errors after which a prepared statement is stale: re-prepared (and retried outside a transaction). */
const isStalePlan = (error: unknown) =>
  error instanceof Error &&
  "code" in error &&
  ((error.code === "0A000" && /cached plan/i.test(error.message)) || error.code === "26000")

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Statements go to PGlite as wire-protocol messages in one call each, not through `PGlite.query`, which makes six
 * calls into Postgres (parse, describe, bind, describe, execute, sync) and parses every statement again. A statement
 * with parameters is prepared once per session (named, with its parameter types) and then costs one call: bind,
 * describe, execute, sync — about a fifth of the CPU of `query` (the single-email benchmark). Values are serialised
 * and rows parsed by PGlite's own serialisers and parsers, as `query` does.
 */
class PgliteConnection implements Connection {
  private readonly prepared = new Map<string, Prepared>()
  /** Statements forgotten but not yet closed on the session. */
  private stale: Array<string> = []
  private counter = 0

  constructor(private readonly db: PGlite) {}

  /**
   * One call into Postgres. The filesystem is synced once no transaction is open, as `PGlite.query` does for its own
   * transactions: inside one there is nothing durable to sync.
   */
  private async exec(message: Uint8Array) {
    const result = await this.db.execProtocol(message, { syncToFs: false })
    if (!this.db.isInTransaction()) await this.db.syncToFs()
    return result
  }

  private forgetAll() {
    for (const statement of this.prepared.values()) this.stale.push(statement.name)
    this.prepared.clear()
  }

  private async prepare(sql: string): Promise<Prepared> {
    const name = `scribe_${++this.counter}`
    // Closing forgotten statements is left for a moment outside any transaction (an aborted one refuses commands).
    const closing = this.db.isInTransaction() ? [] : this.stale.splice(0)
    const { messages } = await this.exec(
      concat([
        ...closing.map((stale) => serialize.close({ type: "S", name: stale })),
        serialize.parse({ name, text: sql }),
        serialize.describe({ type: "S", name }),
        serialize.sync()
      ])
    )
    const statement: Prepared = { name, types: parse.parseDescribeStatementResults(messages) }
    if (this.prepared.size >= preparedCapacity) {
      const [oldest] = this.prepared
      if (oldest !== undefined) {
        this.prepared.delete(oldest[0])
        this.stale.push(oldest[1].name)
      }
    }
    this.prepared.set(sql, statement)
    return statement
  }

  private async runPrepared<Row>(sql: string, params: ReadonlyArray<unknown>, rowMode: "array" | "object") {
    let statement = this.prepared.get(sql)
    if (statement === undefined) statement = await this.prepare(sql)
    else {
      // Most recently used last.
      this.prepared.delete(sql)
      this.prepared.set(sql, statement)
    }
    const types = statement.types
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null
      const serializer = this.db.serializers[types[i] ?? 0]
      return serializer ? serializer(param) : String(param)
    })
    const { messages } = await this.exec(
      concat([
        serialize.bind({ statement: statement.name, values }),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.sync()
      ])
    )
    return parse.parseResults(messages, this.db.parsers, { rowMode })[0] as Results<Row>
  }

  /** One statement without parameters, unnamed: parse, bind, describe, execute and sync in one call. */
  private async runOnce<Row>(sql: string, rowMode: "array" | "object") {
    if (schemaChange.test(sql)) this.forgetAll()
    const { messages } = await this.exec(
      concat([
        serialize.parse({ text: sql }),
        serialize.bind({}),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.sync()
      ])
    )
    return parse.parseResults(messages, this.db.parsers, { rowMode })[0] as Results<Row>
  }

  private run<Row>(sql: string, params: ReadonlyArray<unknown>, rowMode: "array" | "object" = "object") {
    return Effect.tryPromise({
      try: async () => {
        if (params.length === 0) return this.runOnce<Row>(sql, rowMode)
        try {
          return await this.runPrepared<Row>(sql, params, rowMode)
        } catch (error) {
          if (!isStalePlan(error)) throw error
          // The schema changed under a prepared statement: prepare again; retried unless a transaction is open,
          // which the error has aborted.
          this.forgetAll()
          if (this.db.isInTransaction()) throw error
          return await this.runPrepared<Row>(sql, params, rowMode)
        }
      },
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
      try: async () => {
        if (schemaChange.test(sql)) this.forgetAll()
        const { messages } = await this.exec(serialize.query(sql))
        return parse.parseResults(messages, this.db.parsers)
      },
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

/**
 * Makes a data directory and everything in it owner-only (directories 0700, files 0600). PGlite writes its files
 * world-writable (0666), whatever the umask: the directory's own mode is what keeps them private, and the files are
 * fixed too, at open and at close (a directory made by an older version is fixed at its next start).
 */
const ownerOnly = async (path: string): Promise<void> => {
  await chmod(path, 0o700)
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) await ownerOnly(child)
    else if (entry.isFile()) await chmod(child, 0o600)
  }
}

/** Owner-only, or a warning: a directory the process does not own (a mounted volume) cannot be changed. */
const restrict = (path: string) =>
  Effect.tryPromise(() => ownerOnly(path)).pipe(
    Effect.catchAll((error) =>
      Effect.logWarning(`PgliteClient: could not make ${path} owner-only (0700/0600)`, error.cause)
    )
  )

/** A fresh data directory as a gzipped tarball, for {@link Options.seed}: initdb in an in-memory PGlite. */
export const makeSeed: Effect.Effect<Uint8Array, SqlError> = Effect.tryPromise({
  try: async () => {
    const db = await PGlite.create(settings)
    try {
      return new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer())
    } finally {
      await db.close()
    }
  },
  catch: failure("PgliteClient: failed to make a seed")
})

/** The seed as a file-backed blob, when there is one. */
const seedOf = async (seed: string | null) => (seed !== null && existsSync(seed) ? openAsBlob(seed) : undefined)

const open = ({ dataDir, seed = defaultSeed }: Options) =>
  Effect.gen(function* () {
    if (dataDir === "memory") {
      return yield* Effect.tryPromise({
        try: async () => {
          const loadDataDir = await seedOf(seed)
          return PGlite.create({ ...settings, ...(loadDataDir === undefined ? {} : { loadDataDir }) })
        },
        catch: failure("PgliteClient: failed to open an in-memory database")
      })
    }
    const path = resolve(dataDir)
    yield* Effect.tryPromise({
      try: () => mkdir(path, { recursive: true, mode: 0o700 }),
      catch: failure(`PgliteClient: failed to create the data directory ${dataDir}`)
    })
    yield* restrict(path)
    const db = yield* Effect.tryPromise({
      try: async () => {
        const loadDataDir = existsSync(join(path, "PG_VERSION")) ? undefined : await seedOf(seed)
        return PGlite.create(path, { ...settings, ...(loadDataDir === undefined ? {} : { loadDataDir }) })
      },
      catch: failure(`PgliteClient: failed to open the database in ${dataDir}`)
    })
    yield* restrict(path)
    return db
  })

const close = (db: PGlite, dataDir: string) =>
  Effect.promise(() => db.close()).pipe(
    Effect.zipRight(dataDir === "memory" ? Effect.void : restrict(resolve(dataDir)))
  )

export const make = (options: Options): Effect.Effect<PgliteClient, SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1)
    const db = yield* Effect.acquireRelease(open(options), (db) =>
      lock
        .withPermits(1)(close(db, options.dataDir))
        .pipe(Effect.catchAllDefect((defect) => Effect.logWarning("PgliteClient: closing the database failed", defect)))
    )
    const connection = new PgliteConnection(db)
    // Held for a whole transaction: its scope closes after COMMIT/ROLLBACK.
    const locked: Effect.Effect<Connection, never, Scope.Scope> = Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        restore(lock.take(1)),
        Effect.as(
          Effect.addFinalizer(() => lock.release(1)),
          connection
        )
      )
    )
    // Held for each statement outside a transaction, by the statement itself: no scope and finalizer per statement.
    const serialized: Connection = {
      execute: (sql, params, transformRows) => lock.withPermits(1)(connection.execute(sql, params, transformRows)),
      executeRaw: (sql, params) => lock.withPermits(1)(connection.executeRaw(sql, params)),
      executeValues: (sql, params) => lock.withPermits(1)(connection.executeValues(sql, params)),
      executeUnprepared: (sql, params, transformRows) =>
        lock.withPermits(1)(connection.executeUnprepared(sql, params, transformRows)),
      executeStream: (sql, params, transformRows) =>
        Stream.fromIterableEffect(lock.withPermits(1)(connection.execute(sql, params, transformRows)))
    }
    const client = yield* SqlClient.make({
      acquirer: Effect.succeed(serialized),
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
