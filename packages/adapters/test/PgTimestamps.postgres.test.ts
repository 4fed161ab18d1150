import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import Pg from "pg"
import { layerTempPostgres } from "../testkit/TempPostgres"
import { adminUrl, describePostgres } from "../testkit/TestDatabase"

const values = [
  "2026-12-02 05:20:21.123456+00",
  "2026-12-02 05:20:21.999999+00",
  "2026-12-02 05:20:21+00",
  "2026-12-02 05:20:21.1+00",
  "1999-12-31 23:59:59.9995+00",
  "2000-02-29 12:00:00+00",
  "0100-01-01 00:00:00+00",
  "0050-06-15 08:30:00+00",
  "9999-12-31 23:59:59.999999+00",
  "0044-03-15 12:00:00+00 BC",
  "infinity",
  "-infinity"
]

const query = `SELECT v::timestamptz AS t, v::timestamptz::text AS text FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i)
               ORDER BY i`

await describePostgres("PgTimestamps (Postgres)", () => {
  layer(layerTempPostgres())("PgTimestamps (Postgres)", (it) => {
    it.effect("the service's pool reads every timestamptz the server writes as node-postgres' own parser does", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const ours = yield* sql.unsafe<{ t: unknown; text: string }>(query, [values])
        const theirs = yield* Effect.promise(async () => {
          const client = new Pg.Client({ connectionString: adminUrl })
          await client.connect()
          try {
            return (await client.query<{ t: unknown; text: string }>(query, [values])).rows
          } finally {
            await client.end()
          }
        })
        expect(ours.map((r) => r.text)).toEqual(theirs.map((r) => r.text))
        expect(ours.map((r) => r.t)).toEqual(theirs.map((r) => r.t))
        expect(ours[0]!.t).toEqual(new Date(Date.UTC(2026, 11, 2, 5, 20, 21, 123)))
      })
    )
  })
})
