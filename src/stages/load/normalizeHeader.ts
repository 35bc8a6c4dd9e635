import type { RequiredColumn } from "./RawRow.js"

/** `Company Name`, `company-name`, `CompanyName`, ` COMPANY_NAME ` → `company_name`. */
export const normalizeHeader = (name: string): string =>
  name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")

/** Other names lists give a required column; used only when the file has no column of the exact name. */
export const headerAliases: Readonly<Record<string, RequiredColumn>> = {
  company: "company_name",
  website: "domain",
  employees: "employee_count",
  industry: "industry_raw"
}
