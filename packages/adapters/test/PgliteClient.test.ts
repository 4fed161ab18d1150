import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Stream } from "effect"
import * as PgliteClient from "../src/sql/PgliteClient"

// One in-memory PGlite for the file; each test works in its own table. Real clock: some tests sleep.
layer(PgliteClient.layer({ dataDir: "memory" }), { timeout: "120 seconds", excludeTestServices: true })(
  "PgliteClient",
  (it) => {
    const table = (name: string) =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE ${sql(name)} (v text)`
        const values = Effect.map(sql<{ v: string }>`SELECT v FROM ${sql(name)} ORDER BY v`, (rows) =>
          rows.map((r) => r.v)
        )
        const insert = (v: string) => sql`INSERT INTO ${sql(name)} (v) VALUES (${v})`
        return { sql, values, insert }
      })

    it.effect("is also provided as PgliteClient", () =>
      Effect.gen(function* () {
        const client = yield* PgliteClient.PgliteClient
        expect(client.config.dataDir).toBe("memory")
        expect(yield* client<{ one: number }>`SELECT 1 AS one`).toEqual([{ one: 1 }])
      })
    )

    it.effect("binds parameters and parses Postgres types", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const at = new Date("2026-03-01T09:00:00.123Z")
        const [row] = yield* sql`
          SELECT ${at}::timestamptz AS at, ${'it\'s "quoted" — ünïcode'}::text AS text, ${null}::text AS nothing,
                 ${42}::int4 AS int4, 9007199254740991::int8 AS int8, ${"12.50"}::numeric AS numeric,
                 ${true}::bool AS bool, ${JSON.stringify({ a: [1, { b: null }] })}::jsonb AS jsonb,
                 '\\x0102ff'::bytea AS bytea, 1.5::float8 AS float8`
        expect(row).toEqual({
          at,
          text: 'it\'s "quoted" — ünïcode',
          nothing: null,
          int4: 42,
          int8: 9007199254740991,
          numeric: "12.50",
          bool: true,
          jsonb: { a: [1, { b: null }] },
          bytea: new Uint8Array([1, 2, 255]),
          float8: 1.5
        })
      })
    )

    it.effect("fails with SqlError carrying the driver's error", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const error = yield* Effect.flip(sql`SELECT * FROM no_such_table`)
        expect(error._tag).toBe("SqlError")
        expect(error.cause).toMatchObject({ code: "42P01" })
      })
    )

    it.effect("withTransaction commits on success and rolls back on failure", () =>
      Effect.gen(function* () {
        const { sql, values, insert } = yield* table("t_commit")
        yield* sql.withTransaction(Effect.zipRight(insert("a"), insert("b")))
        yield* sql.withTransaction(Effect.zipRight(insert("c"), Effect.fail("boom"))).pipe(Effect.ignore)
        expect(yield* values).toEqual(["a", "b"])
      })
    )

    it.effect("nested transactions roll back to their savepoint only", () =>
      Effect.gen(function* () {
        const { sql, values, insert } = yield* table("t_nested")
        yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* insert("outer")
            yield* sql.withTransaction(Effect.zipRight(insert("inner"), Effect.fail("boom"))).pipe(Effect.ignore)
            yield* sql.withTransaction(insert("inner-ok"))
          })
        )
        expect(yield* values).toEqual(["inner-ok", "outer"])
      })
    )

    it.effect("a statement from another fiber waits for an open transaction instead of joining it", () =>
      Effect.gen(function* () {
        const { sql, values, insert } = yield* table("t_isolated")
        const inside = yield* Deferred.make<void>()
        const finish = yield* Deferred.make<void>()
        const transaction = yield* insert("in-transaction").pipe(
          Effect.zipRight(Deferred.succeed(inside, undefined)),
          Effect.zipRight(Deferred.await(finish)),
          Effect.zipRight(Effect.fail("roll back")),
          sql.withTransaction,
          Effect.fork
        )
        yield* Deferred.await(inside)
        const outside = yield* Effect.fork(insert("outside"))
        // Without the lock, the insert would run now, inside the open transaction, and be rolled back with it.
        yield* Effect.sleep("100 millis")
        expect(outside.unsafePoll()).toBeNull()
        yield* Deferred.succeed(finish, undefined)
        yield* Fiber.await(transaction)
        yield* Fiber.join(outside)
        expect(yield* values).toEqual(["outside"])
      })
    )

    it.effect("concurrent transactions run one after another", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t_counter (n int NOT NULL)`
        yield* sql`INSERT INTO t_counter VALUES (0)`
        const increment = Effect.gen(function* () {
          const [row] = yield* sql<{ n: number }>`SELECT n FROM t_counter`
          yield* Effect.sleep("5 millis")
          yield* sql`UPDATE t_counter SET n = ${(row?.n ?? 0) + 1}`
        }).pipe(sql.withTransaction)
        yield* Effect.all(
          Array.from({ length: 10 }, () => increment),
          { concurrency: "unbounded" }
        )
        expect(yield* sql`SELECT n FROM t_counter`).toEqual([{ n: 10 }])
      })
    )

    it.effect("runs several statements unprepared and streams results", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe("CREATE TABLE t_multi_a (x int); CREATE TABLE t_multi_b (y int)").unprepared
        expect(yield* sql`SELECT count(*)::int AS n FROM t_multi_a, t_multi_b`).toEqual([{ n: 0 }])
        const streamed = yield* Stream.runCollect(sql<{ n: number }>`SELECT generate_series(1, 5) AS n`.stream)
        expect(Chunk.toReadonlyArray(streamed).map((r) => r.n)).toEqual([1, 2, 3, 4, 5])
      })
    )
  }
)
