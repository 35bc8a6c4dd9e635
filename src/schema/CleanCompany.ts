import { Schema } from "effect"

/** A row that passed clean: what scrape, merge and enrich work from. */
export const CleanCompany = Schema.Struct({
  /** 1-based physical line of the CSV where the record starts (header is line 1). */
  lineNumber: Schema.Int,
  companyName: Schema.NonEmptyTrimmedString,
  /** Lowercase registrable host name, punycode for IDNs: the company's identity everywhere. */
  domain: Schema.NonEmptyTrimmedString,
  countryRaw: Schema.NullOr(Schema.String),
  /** ISO 3166-1 alpha-2, null when the raw value is unknown or empty. */
  countryCode: Schema.NullOr(Schema.String),
  countryName: Schema.NullOr(Schema.String),
  /**
   * The head count scoring and segments use: the count as given, a range's geometric midpoint, an open range's lower
   * bound; null when the list gives none and MISSING_EMPLOYEE_COUNT=keep.
   */
  employeeCount: Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())),
  /** The cell as written (`51-200`, `10,001+`), null when empty. */
  employeeCountRaw: Schema.NullOr(Schema.String),
  employeeCountMin: Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())),
  /** null for an open range (`10,001+`) or an unknown count. */
  employeeCountMax: Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())),
  industryRaw: Schema.NullOr(Schema.String)
})

export type CleanCompany = typeof CleanCompany.Type
