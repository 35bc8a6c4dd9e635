import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Head counts as lists write them: `employee_count` stays the value scoring uses (a range's geometric midpoint, an
 * open range's lower bound), beside the cell as written and the range's bounds. Segment `Unknown` is for companies
 * kept without a head count (MISSING_EMPLOYEE_COUNT=keep).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE companies
      ADD COLUMN employee_count_raw text,
      ADD COLUMN employee_count_min integer CHECK (employee_count_min IS NULL OR employee_count_min >= 0),
      ADD COLUMN employee_count_max integer CHECK (employee_count_max IS NULL OR employee_count_max >= employee_count_min)`
  yield* sql`ALTER TABLE companies DROP CONSTRAINT IF EXISTS companies_segment_check`
  yield* sql`
    ALTER TABLE companies ADD CONSTRAINT companies_segment_check
      CHECK (segment IS NULL OR segment IN ('SMB', 'Mid-Market', 'Enterprise', 'Unknown'))`
})
