import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Announces each new companies version on the `companies_version` channel. Postgres delivers a
 * notification when the writer commits (never for a rollback), so an API server listening on a Postgres
 * server knows the current version without asking for it on every request. (The embedded database cannot
 * deliver notifications; the API asks there.)
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE OR REPLACE FUNCTION bump_companies_version() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      next bigint;
    BEGIN
      UPDATE companies_version SET version = version + 1 RETURNING version INTO next;
      PERFORM pg_notify('companies_version', next::text);
      RETURN NULL;
    END
    $$`)
})
