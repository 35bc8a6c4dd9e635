/** The columns clean reads, by their normalized header names. */
export const requiredColumns = ["company_name", "domain", "country", "employee_count", "industry_raw"] as const

export type RequiredColumn = (typeof requiredColumns)[number]

/** One CSV record as load read it, before any normalization. */
export interface RawRow {
  /** 1-based physical line where the record starts; the header is line 1. */
  readonly lineNumber: number
  readonly values: Readonly<Record<RequiredColumn, string>>
  /** The record as given, keyed by the file's own header names: what rejected_rows.raw keeps. */
  readonly raw: Readonly<Record<string, string>>
}
