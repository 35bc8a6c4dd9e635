import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // The latest fetch of each domain: what SCRAPE_MAX_AGE is checked against, independent of any run.
  yield* sql`
    CREATE TABLE scrapes (
      domain text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('success', 'failed', 'skipped')),
      error_kind text,
      error_message text,
      final_url text,
      http_status integer,
      fetched_at timestamptz NOT NULL,
      content_hash text,
      text text,
      pages jsonb NOT NULL DEFAULT '[]'::jsonb
    )`
  yield* sql`ALTER TABLE companies ADD COLUMN website_url text, ADD COLUMN scraped_at timestamptz`
})
