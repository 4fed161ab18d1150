import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { type PGlite, parse, protocol, type Results } from "@electric-sql/pglite"
import { Effect, Stream } from "effect"

const { serialize } = protocol

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
export class PgliteConnection implements Connection {
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
