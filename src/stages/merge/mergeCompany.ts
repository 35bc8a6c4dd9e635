import type { CleanCompany } from "../../schema/CleanCompany.js"
import type { ScrapeResult } from "../../schema/ScrapeResult.js"
import type { EnrichmentInput } from "../enrich/EnrichmentInput.js"

/** The merge stage: the cleaned row plus what its website said, as the enrich stage takes it. Pure. */
export const mergeCompany = (company: CleanCompany, scrape: ScrapeResult | null): EnrichmentInput => ({
  companyName: company.companyName,
  domain: company.domain,
  countryName: company.countryName,
  countryRaw: company.countryRaw,
  employeeCount: company.employeeCount,
  industry: company.industryRaw,
  websiteText: scrape?.status === "success" && scrape.text && scrape.text.trim() !== "" ? scrape.text : null
})
