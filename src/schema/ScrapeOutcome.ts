import { Schema } from "effect"
import { ScrapeResult } from "./ScrapeResult.js"

/** What the scrape stage made of one company, in the form that crosses a process boundary (dates as ISO strings). */
export const ScrapeOutcome = Schema.Struct({
  /** null: the stage did not run and nothing is stored for the domain. */
  scrape: Schema.NullOr(Schema.Struct({ ...ScrapeResult.fields, fetchedAt: Schema.Date })),
  /** Whether this run scraped (or reused a cached scrape): only then is a scrape item recorded. */
  scraped: Schema.Boolean
})
export type ScrapeOutcome = typeof ScrapeOutcome.Type
