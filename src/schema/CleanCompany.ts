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
  employeeCount: Schema.Int.pipe(Schema.nonNegative()),
  industryRaw: Schema.NullOr(Schema.String)
})

export type CleanCompany = typeof CleanCompany.Type
