import { Either } from "effect"
import { type CleanSettings, defaultCleanSettings } from "../../config/CleanConfig.js"
import type { CleanCompany } from "../../schema/CleanCompany.js"
import type { RawRow } from "../load/RawRow.js"
import type { CleanOutcome } from "./CleanOutcome.js"
import { normalizeCompanyName } from "./normalizeCompanyName.js"
import { normalizeCountry } from "./normalizeCountry.js"
import { domainOrRejection } from "./normalizeDomain.js"
import { employeeCountOrRejection } from "./normalizeEmployeeCount.js"
import type { FieldRejection, RejectReason } from "./RejectReason.js"

export type { RejectReason } from "./RejectReason.js"

/** A line clean turned away, as persisted in rejected_rows. */
export interface Rejection {
  readonly lineNumber: number
  readonly raw: Readonly<Record<string, string>>
  readonly reason: RejectReason
  readonly message: string
  /** The line this one duplicates (reason "Duplicate" only). */
  readonly duplicateOfLine: number | null
}

const rejected = (row: RawRow, field: FieldRejection): CleanOutcome => ({
  _tag: "Rejected",
  rejection: { lineNumber: row.lineNumber, raw: row.raw, reason: field.reason, message: field.message, duplicateOfLine: null }
})

/** cleanRow as the outcome cleanStream emits, without the Either around it. */
export const classifyRow = (row: RawRow, settings: CleanSettings = defaultCleanSettings): CleanOutcome => {
  const values = row.values
  const domain = domainOrRejection(values.domain)
  if (typeof domain !== "string") return rejected(row, domain)
  const companyName = normalizeCompanyName(values.company_name)
  if (companyName === "") return rejected(row, { reason: "EmptyCompanyName", message: "company_name is empty" })
  const employees = employeeCountOrRejection(values.employee_count)
  const unknownSize = "reason" in employees
  if (unknownSize && (employees.reason !== "MissingEmployeeCount" || settings.missingEmployeeCount === "reject")) {
    return rejected(row, employees)
  }
  const employeeCountRaw = values.employee_count.trim()
  const countryRaw = values.country.trim()
  const country = normalizeCountry(countryRaw)
  const industryRaw = values.industry_raw.trim()
  const company: CleanCompany = {
    lineNumber: row.lineNumber,
    companyName,
    domain,
    countryRaw: countryRaw === "" ? null : countryRaw,
    countryCode: country === null ? null : country.code,
    countryName: country === null ? null : country.name,
    employeeCount: unknownSize ? null : employees.value,
    employeeCountRaw: employeeCountRaw === "" ? null : employeeCountRaw,
    employeeCountMin: unknownSize ? null : employees.min,
    employeeCountMax: unknownSize ? null : employees.max,
    industryRaw: industryRaw === "" ? null : industryRaw
  }
  return { _tag: "Accepted", company, countryUnknown: country === null && countryRaw !== "" }
}

/**
 * One line to a company, or the first reason it cannot be one (domain, then name, then employee count).
 * An unknown country is not a reason: the raw value is kept and `countryUnknown` set; neither is a missing employee
 * count with MISSING_EMPLOYEE_COUNT=keep. Duplicates are cleanStream's.
 */
export const cleanRow = (
  row: RawRow,
  settings: CleanSettings = defaultCleanSettings
): Either.Either<{ company: CleanCompany; countryUnknown: boolean }, Rejection> => {
  const outcome = classifyRow(row, settings)
  return outcome._tag === "Accepted"
    ? Either.right({ company: outcome.company, countryUnknown: outcome.countryUnknown })
    : Either.left(outcome.rejection)
}
