import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { CleanCompany } from "../../schema/CleanCompany.js"
import type { ScrapeResult } from "../../schema/ScrapeResult.js"
import type { EnrichmentOutcome } from "../../schema/EnrichmentOutcome.js"

export interface CompanyRecord {
  readonly company: CleanCompany
  /** null: the scrape stage did not run for it this time; keep what is stored. */
  readonly scrape: ScrapeResult | null
  readonly enrichment: EnrichmentOutcome
}

const enrichmentColumns = [
  "icp_fit_score",
  "segment",
  "primary_use_case",
  "risk_flags",
  "personalized_pitch",
  "score_rationale",
  "confidence",
  "enrichment_provider",
  "enrichment_model",
  "prompt_version",
  "enrichment_input_tokens",
  "enrichment_output_tokens",
  "enrichment_latency_ms",
  "enriched_at"
] as const

const scrapeColumns = ["website_text_snippet", "scraping_status", "scraping_error", "website_url", "scraped_at"] as const

// Column names are constants of this module, never input, so building this text is safe.
const onConflict = [
  "company_name = EXCLUDED.company_name",
  "country = EXCLUDED.country",
  "country_code = EXCLUDED.country_code",
  "country_name = EXCLUDED.country_name",
  "employee_count = EXCLUDED.employee_count",
  "employee_count_raw = EXCLUDED.employee_count_raw",
  "employee_count_min = EXCLUDED.employee_count_min",
  "employee_count_max = EXCLUDED.employee_count_max",
  "industry_raw = EXCLUDED.industry_raw",
  ...scrapeColumns.map(
    (c) => `${c} = CASE WHEN EXCLUDED.scraping_status = 'pending' THEN companies.${c} ELSE EXCLUDED.${c} END`
  ),
  // A failed re-enrichment never erases the last successful one: the failure is recorded beside it.
  ...enrichmentColumns.map(
    (c) => `${c} = CASE WHEN EXCLUDED.enrichment_status = 'success' THEN EXCLUDED.${c} ELSE companies.${c} END`
  ),
  `enrichment_status = CASE EXCLUDED.enrichment_status
     WHEN 'success' THEN 'success'
     WHEN 'failed' THEN CASE WHEN companies.enrichment_status = 'success' THEN 'success' ELSE 'failed' END
     ELSE companies.enrichment_status END`,
  `enrichment_error = CASE EXCLUDED.enrichment_status
     WHEN 'success' THEN NULL WHEN 'failed' THEN EXCLUDED.enrichment_error ELSE companies.enrichment_error END`,
  `enrichment_error_kind = CASE EXCLUDED.enrichment_status
     WHEN 'success' THEN NULL WHEN 'failed' THEN EXCLUDED.enrichment_error_kind ELSE companies.enrichment_error_kind END`,
  `enrichment_failed_at = CASE EXCLUDED.enrichment_status
     WHEN 'success' THEN NULL WHEN 'failed' THEN now() ELSE companies.enrichment_failed_at END`,
  "updated_at = now()"
].join(",\n")

const SNIPPET_LENGTH = 1000

const toRow = ({ company, scrape, enrichment }: CompanyRecord) => {
  const enriched = enrichment._tag === "Enriched" ? enrichment.result : null
  return {
    company_name: company.companyName,
    domain: company.domain,
    country: company.countryRaw,
    country_code: company.countryCode,
    country_name: company.countryName,
    employee_count: company.employeeCount,
    employee_count_raw: company.employeeCountRaw,
    employee_count_min: company.employeeCountMin,
    employee_count_max: company.employeeCountMax,
    industry_raw: company.industryRaw,
    website_text_snippet: scrape?.text ? scrape.text.slice(0, SNIPPET_LENGTH) : null,
    scraping_status: scrape?.status ?? "pending",
    scraping_error: scrape?.errorKind ? `${scrape.errorKind}: ${scrape.errorMessage ?? ""}`.trim() : null,
    website_url: scrape?.finalUrl ?? null,
    scraped_at: scrape?.fetchedAt ?? null,
    icp_fit_score: enriched?.output.icpFitScore ?? null,
    segment: enriched?.output.segment ?? null,
    primary_use_case: enriched?.output.primaryUseCase ?? null,
    risk_flags: JSON.stringify(enriched?.output.riskFlags ?? []),
    personalized_pitch: enriched?.output.personalizedPitch ?? null,
    score_rationale: JSON.stringify(enriched?.output.scoreRationale ?? []),
    confidence: enriched?.output.confidence ?? null,
    enrichment_provider: enriched?.provider ?? null,
    enrichment_model: enriched?.model ?? null,
    prompt_version: enriched?.promptVersion ?? null,
    enrichment_input_tokens: enriched?.inputTokens ?? null,
    enrichment_output_tokens: enriched?.outputTokens ?? null,
    enrichment_latency_ms: enriched ? Math.round(enriched.latencyMs) : null,
    enriched_at: enriched ? new Date() : null,
    enrichment_status: enrichment._tag === "Enriched" ? "success" : enrichment._tag === "EnrichFailed" ? "failed" : "pending",
    enrichment_error: enrichment._tag === "EnrichFailed" ? enrichment.error.message : null,
    enrichment_error_kind: enrichment._tag === "EnrichFailed" ? enrichment.error.reason : null
  }
}

/** The persist stage: batched upserts by domain. */
export class CompanyWriter extends Effect.Service<CompanyWriter>()("CompanyWriter", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const upsertBatch = (records: ReadonlyArray<CompanyRecord>) => {
      if (records.length === 0) return Effect.void
      // One row per domain per statement: ON CONFLICT cannot touch the same row twice.
      const byDomain = new Map(records.map((r) => [r.company.domain, r]))
      return sql`
        INSERT INTO companies ${sql.insert([...byDomain.values()].map(toRow))}
        ON CONFLICT (domain) DO UPDATE SET ${sql.unsafe(onConflict)}`.pipe(
        Effect.asVoid,
        Effect.withSpan("persist.upsertBatch", { attributes: { size: byDomain.size } })
      )
    }
    return { upsertBatch } as const
  })
}) {}
