import { existsSync, openAsBlob } from "node:fs"
import { chmod, mkdir, readdir } from "node:fs/promises"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { PGlite } from "@electric-sql/pglite"
import { Context, Effect, Layer, type Scope, Stream } from "effect"
import { PgliteConnection } from "./PgliteConnection"

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
