import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Input stages count lines turned away apart from failures: a rejected or duplicate line is not a failure. */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE run_stages
      ADD COLUMN rejected integer NOT NULL DEFAULT 0,
      ADD COLUMN duplicates integer NOT NULL DEFAULT 0`
})
