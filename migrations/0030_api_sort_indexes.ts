import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Indexes for the query API's keyset pagination (src/api/CompanyQueries.ts). Each sort key is an
 * expression that is never NULL, indexed together with id (the tie-breaker), so a page is an index range
 * scan that stops after `limit` rows at any depth, in either direction. The score index leads with
 * enrichment_status because every listing filters on it (default `success`); it also answers the score
 * range filter and its count from the index alone. Checked with EXPLAIN in bench/api.ts.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // INCLUDE the raw score: without the column itself, Postgres cannot answer the count from the index alone.
  yield* sql`
    CREATE INDEX companies_status_score_id_idx
    ON companies (enrichment_status, (COALESCE(icp_fit_score, -1)), id) INCLUDE (icp_fit_score)`
  yield* sql`
    CREATE INDEX companies_country_segment_score_id_idx
    ON companies (country_code, segment, enrichment_status, (COALESCE(icp_fit_score, -1)), id) INCLUDE (icp_fit_score)`
  yield* sql`CREATE INDEX companies_name_sort_idx ON companies ((lower(company_name) COLLATE "C"), id)`
  yield* sql`CREATE INDEX companies_employee_count_sort_idx ON companies ((COALESCE(employee_count, -1)), id)`
  yield* sql`CREATE INDEX companies_updated_at_sort_idx ON companies (updated_at, id)`
  yield* sql`CREATE INDEX companies_country_lower_idx ON companies (lower(country))`
})
