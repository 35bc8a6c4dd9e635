import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * A counter bumped by every statement that writes `companies`, in the writer's own transaction, so a
 * reader sees a new value exactly when it can see the new rows. The query API keys its cache of list
 * totals (a count over every matching row, the costly part of a page) by it: a cached total is reused
 * only while no write has happened since, never stale. One row update per statement, not per row.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE companies_version (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      version bigint NOT NULL
    )`
  yield* sql`INSERT INTO companies_version (singleton, version) VALUES (true, 1)`
  yield* sql.unsafe(`
    CREATE FUNCTION bump_companies_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE companies_version SET version = version + 1;
      RETURN NULL;
    END
    $$`)
  yield* sql`
    CREATE TRIGGER companies_version_bump
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON companies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_companies_version()`
})
