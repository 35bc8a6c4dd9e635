import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export interface FixtureCompany {
  readonly id: number
  readonly company_name: string
  readonly domain: string
  readonly country: string | null
  readonly country_code: string | null
  readonly country_name: string | null
  readonly employee_count: number | null
  readonly industry_raw: string | null
  readonly icp_fit_score: number | null
  readonly segment: "SMB" | "Mid-Market" | "Enterprise" | null
  readonly enrichment_status: "success" | "failed" | "pending"
  readonly risk_flags: ReadonlyArray<string>
  readonly updated_at: string
}

const base = (id: number, updatedAt: string) => ({ id, updated_at: updatedAt })

/**
 * Companies covering every filter and sort case: ties on score and on updated_at (broken by id), unscored
 * and failed companies, a missing employee count, raw countries in several spellings and one no list
 * knows, names that need CSV quoting or would run as a spreadsheet formula, LIKE wildcards in a name.
 */
export const fixtureCompanies: ReadonlyArray<FixtureCompany> = [
  { ...base(1, "2024-05-01T10:00:00.000001Z"), company_name: "Acme Analytics", domain: "acme.com", country: "USA", country_code: "US", country_name: "United States", employee_count: 1200, industry_raw: "SaaS", icp_fit_score: 91, segment: "Enterprise", enrichment_status: "success", risk_flags: ["Long sales cycle"] },
  { ...base(2, "2024-05-01T10:00:00.000001Z"), company_name: "beta Logistics", domain: "beta-logistics.io", country: "United States", country_code: "US", country_name: "United States", employee_count: 300, industry_raw: "Logistics", icp_fit_score: 91, segment: "Mid-Market", enrichment_status: "success", risk_flags: [] },
  { ...base(3, "2024-05-02T08:30:00.123456Z"), company_name: "Café Müller GmbH", domain: "cafe-mueller.de", country: "Germany", country_code: "DE", country_name: "Germany", employee_count: 45, industry_raw: "Food & Beverage", icp_fit_score: 55, segment: "SMB", enrichment_status: "success", risk_flags: ["No website content", "Small team"] },
  { ...base(4, "2024-05-03T00:00:00.000000Z"), company_name: '=HYPERLINK("http://evil.example")', domain: "formula-co.com", country: "US", country_code: "US", country_name: "United States", employee_count: 10, industry_raw: "SaaS", icp_fit_score: 30, segment: "SMB", enrichment_status: "success", risk_flags: [] },
  { ...base(5, "2024-04-30T23:59:59.999999Z"), company_name: 'Quote "Co", Inc.', domain: "quote.co", country: "Narnia", country_code: null, country_name: null, employee_count: 5000, industry_raw: "Consulting", icp_fit_score: 70, segment: "Enterprise", enrichment_status: "success", risk_flags: ["Multi-line\nflag"] },
  { ...base(6, "2024-05-04T12:00:00.500000Z"), company_name: "Zed Systems", domain: "zed.systems", country: "us", country_code: "US", country_name: "United States", employee_count: null, industry_raw: "saas", icp_fit_score: 70, segment: "Mid-Market", enrichment_status: "success", risk_flags: [] },
  { ...base(7, "2024-05-05T00:00:00.000000Z"), company_name: "pending co", domain: "pending.com", country: "Canada", country_code: "CA", country_name: "Canada", employee_count: 20, industry_raw: "Retail", icp_fit_score: null, segment: null, enrichment_status: "pending", risk_flags: [] },
  { ...base(8, "2024-05-06T00:00:00.000000Z"), company_name: "Failed Corp", domain: "failed.com", country: "France", country_code: "FR", country_name: "France", employee_count: 800, industry_raw: "SaaS", icp_fit_score: null, segment: null, enrichment_status: "failed", risk_flags: [] },
  { ...base(9, "2024-05-07T00:00:00.000000Z"), company_name: "100%_Real Co", domain: "percent.com", country: "Japan", country_code: "JP", country_name: "Japan", employee_count: 150, industry_raw: "Fintech", icp_fit_score: 12, segment: "SMB", enrichment_status: "success", risk_flags: [] },
  { ...base(10, "2024-05-08T00:00:00.000000Z"), company_name: "Ünïcode 東京 KK", domain: "tokyo-kk.jp", country: "Japan", country_code: "JP", country_name: "Japan", employee_count: 150, industry_raw: "Fintech", icp_fit_score: 100, segment: "Enterprise", enrichment_status: "success", risk_flags: [] },
  { ...base(11, "2024-05-09T00:00:00.000000Z"), company_name: "Acme Robotics", domain: "acme-robotics.com", country: "U.S.", country_code: "US", country_name: "United States", employee_count: 12000, industry_raw: "Manufacturing", icp_fit_score: 0, segment: "Enterprise", enrichment_status: "success", risk_flags: [] }
]

const rationale = [
  { reason: "Operations team with manual workflows", quote: "we automate invoices", verified: true },
  { reason: "Industry fit", quote: null, verified: false }
]

/** Plain INSERTs (explicit ids, so expected orders can be computed from the list above). */
export const seedCompanies = (sql: SqlClient.SqlClient) =>
  sql`INSERT INTO companies ${sql.insert(
    fixtureCompanies.map((c) => ({
      ...c,
      risk_flags: JSON.stringify(c.risk_flags),
      website_url: `https://${c.domain}/`,
      website_text_snippet: c.enrichment_status === "success" ? `Welcome to ${c.company_name}.` : null,
      scraping_status: c.enrichment_status === "success" ? "success" : "failed",
      scraping_error: c.enrichment_status === "success" ? null : "DnsFailure: no such host",
      primary_use_case: c.icp_fit_score === null ? null : "Invoice automation",
      personalized_pitch: c.icp_fit_score === null ? null : `${c.company_name} could close its books faster.`,
      score_rationale: JSON.stringify(c.icp_fit_score === null ? [] : rationale),
      confidence: c.icp_fit_score === null ? null : 0.75,
      enrichment_error: c.enrichment_status === "failed" ? "LLM timed out" : null,
      enriched_at: c.icp_fit_score === null ? null : c.updated_at,
      created_at: "2024-04-01T00:00:00Z"
    }))
  )}`

/** A finished run with its stages, failures and rejected rows, and a second, running one. */
export const seedRuns = (sql: SqlClient.SqlClient) =>
  Effect.gen(function* () {
    yield* sql`
      INSERT INTO runs (id, status, input_path, input_sha256, settings, counts, started_at, finished_at)
      VALUES
        (1, 'succeeded', 'data/companies.csv', 'abc123', '{"stages":["load","clean"]}', '{"read":5}', '2024-05-01T10:00:00Z', '2024-05-01T10:01:30Z'),
        (2, 'running', 'data/more.csv', 'def456', '{}', '{}', '2024-05-02T10:00:00Z', NULL)`
    yield* sql`
      INSERT INTO run_stages (run_id, stage, status, total, done, failed, skipped, started_at, finished_at)
      VALUES
        (1, 'enrich', 'succeeded', 3, 2, 1, 0, '2024-05-01T10:00:10Z', '2024-05-01T10:01:00Z'),
        (1, 'load', 'succeeded', 5, 5, 0, 0, '2024-05-01T10:00:00Z', '2024-05-01T10:00:01.5Z'),
        (1, 'clean', 'succeeded', 5, 3, 2, 0, '2024-05-01T10:00:01.5Z', '2024-05-01T10:00:02Z')`
    yield* sql`
      INSERT INTO run_items (run_id, domain, stage, status, error_kind, error_message, input_tokens, output_tokens)
      VALUES
        (1, 'acme.com', 'enrich', 'succeeded', NULL, NULL, 400, 120),
        (1, 'beta-logistics.io', 'enrich', 'succeeded', NULL, NULL, 350, 100),
        (1, 'failed.com', 'enrich', 'failed', 'Timeout', 'LLM timed out', 0, 0)`
    yield* sql`
      INSERT INTO rejected_rows (run_id, line_number, raw, reason, message, duplicate_of_line)
      VALUES
        (1, 3, '{"company_name":"","domain":"x.com"}', 'EmptyCompanyName', 'company_name is empty', NULL),
        (1, 5, '{"company_name":"Acme","domain":"acme.com"}', 'Duplicate', 'duplicate of line 2', 2),
        (1, 4, '{"company_name":"Local","domain":"localhost"}', 'NonPublicDomain', 'domain "localhost" is not a public domain name', NULL)`
  })
