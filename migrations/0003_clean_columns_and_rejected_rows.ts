import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE companies ADD COLUMN country_code text, ADD COLUMN country_name text`
  yield* sql`CREATE INDEX companies_country_code_idx ON companies (country_code)`
  yield* sql`
    CREATE TABLE rejected_rows (
      run_id bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      line_number integer NOT NULL,
      raw jsonb NOT NULL,
      reason text NOT NULL,
      message text NOT NULL,
      duplicate_of_line integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, line_number)
    )`
})
