import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The trace context of the request that submitted a job (a W3C `traceparent`), so the worker's attempts join its
 * trace. Null for jobs submitted outside any span.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE queue_items ADD COLUMN trace_parent text`
})
