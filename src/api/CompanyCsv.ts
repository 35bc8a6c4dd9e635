import type { CompanyCsvRow } from "./CompanyQueries.js"
import { csvLine } from "./csvLine.js"

const columns: ReadonlyArray<readonly [string, (row: CompanyCsvRow) => string | number | null]> = [
  ["id", (r) => r.id],
  ["company_name", (r) => r.companyName],
  ["domain", (r) => r.domain],
  ["country", (r) => r.country],
  ["country_code", (r) => r.countryCode],
  ["country_name", (r) => r.countryName],
  ["employee_count", (r) => r.employeeCount],
  ["industry_raw", (r) => r.industry],
  ["website_url", (r) => r.websiteUrl],
  ["icp_fit_score", (r) => r.icpFitScore],
  ["segment", (r) => r.segment],
  ["primary_use_case", (r) => r.primaryUseCase],
  ["risk_flags", (r) => (r.riskFlags.length === 0 ? null : r.riskFlags.join("; "))],
  ["personalized_pitch", (r) => r.personalizedPitch],
  ["confidence", (r) => r.confidence],
  ["override_score", (r) => r.overrideScore],
  ["override_segment", (r) => r.overrideSegment],
  ["qualification_status", (r) => r.overrideStatus],
  ["override_note", (r) => r.overrideNote],
  ["effective_score", (r) => r.effectiveScore],
  ["effective_segment", (r) => r.effectiveSegment],
  ["enrichment_status", (r) => r.enrichmentStatus],
  ["scraping_status", (r) => r.scrapingStatus],
  ["updated_at", (r) => r.updatedAt]
]

/**
 * The export's columns, for CRM import: one line per company, risk flags joined with "; ", names as in the
 * JSON; the model's values, a person's override and the effective values side by side.
 */
export const CompanyCsv = {
  header: csvLine(columns.map(([name]) => name)),
  line: (row: CompanyCsvRow) => csvLine(columns.map(([, value]) => value(row)))
} as const
