import { Schema } from "effect"

/** One company as the merge stage hands it to enrich: the cleaned fields plus what its website said. */
export const EnrichmentInput = Schema.Struct({
  companyName: Schema.String,
  domain: Schema.String,
  countryName: Schema.NullOr(Schema.String),
  countryRaw: Schema.NullOr(Schema.String),
  /** null when the list gives no head count (MISSING_EMPLOYEE_COUNT=keep). */
  employeeCount: Schema.NullOr(Schema.Number),
  industry: Schema.NullOr(Schema.String),
  /** null when the site could not be fetched or had no readable text. */
  websiteText: Schema.NullOr(Schema.String)
})

export type EnrichmentInput = typeof EnrichmentInput.Type
