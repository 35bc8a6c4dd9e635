import { Schema } from "effect"
import { Enrichment } from "../schema/Enrichment.js"
import { ScrapeResult } from "../schema/ScrapeResult.js"
import { EnrichError } from "../stages/enrich/EnrichError.js"
import type { EnrichmentOutcome } from "../stages/persist/CompanyWriter.js"

/** Activity results are stored as JSON in the message storage: dates travel as ISO strings. */
export const ScrapeStepResult = Schema.Struct({
  scrape: Schema.NullOr(Schema.Struct({ ...ScrapeResult.fields, fetchedAt: Schema.Date })),
  scraped: Schema.Boolean
})

const EnrichErrorFields = Schema.Struct({
  reason: Schema.Literal("Timeout", "RateLimited", "ServerError", "Connection", "InvalidOutput", "Refused", "Unknown"),
  message: Schema.String,
  rawExcerpt: Schema.optional(Schema.String),
  retryable: Schema.Boolean,
  retryAfterMs: Schema.optional(Schema.Number)
})

const EnrichErrorFromFields = Schema.transform(EnrichErrorFields, Schema.instanceOf(EnrichError), {
  strict: true,
  decode: (fields) => new EnrichError(fields),
  encode: (error) => ({
    reason: error.reason,
    message: error.message,
    ...(error.rawExcerpt === undefined ? {} : { rawExcerpt: error.rawExcerpt }),
    retryable: error.retryable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs })
  })
})

export const EnrichStepResult: Schema.Schema<EnrichmentOutcome, any> = Schema.Union(
  Schema.TaggedStruct("Enriched", {
    result: Schema.Struct({
      output: Enrichment,
      provider: Schema.String,
      model: Schema.String,
      promptVersion: Schema.String,
      inputHash: Schema.String,
      inputTokens: Schema.Number,
      outputTokens: Schema.Number,
      latencyMs: Schema.Number,
      cached: Schema.Boolean
    })
  }),
  Schema.TaggedStruct("EnrichFailed", { error: EnrichErrorFromFields }),
  Schema.TaggedStruct("NotEnriched", {})
)
