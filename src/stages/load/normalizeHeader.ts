import type { RequiredColumn } from "./RawRow.js"

/** `Company Name`, `company-name`, `CompanyName`, ` COMPANY_NAME ` → `company_name`. */
export const normalizeHeader = (name: string): string =>
  name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")

/**
 * Other names lists give a required column (normalized), most specific first; used only when the file has no
 * column of the exact name, and the first alias the file has wins. Collected from CRM, LinkedIn Sales Navigator,
 * Crunchbase, Inc. 5000 and Y Combinator exports.
 */
export const headerAliases: Readonly<Record<RequiredColumn, ReadonlyArray<string>>> = {
  company_name: ["company", "company_name", "organization", "organization_name", "organisation", "account_name", "account", "business_name", "name"],
  domain: ["website", "company_website", "website_url", "web_site", "company_domain", "domain_name", "homepage", "url", "web", "site"],
  country: ["hq_country", "headquarters_country", "country_hq", "company_country", "country_region", "hq_location", "headquarters", "location_country", "location"],
  employee_count: ["employees", "employee_count", "number_of_employees", "num_employees", "no_of_employees", "employee_range", "employees_range", "headcount", "head_count", "company_size", "team_size", "size", "staff"],
  industry_raw: ["industry", "industries", "sector", "vertical", "category", "categories", "industry_group", "primary_industry"]
}
