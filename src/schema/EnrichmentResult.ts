import { Schema } from "effect"
import { Enrichment } from "./Enrichment.js"

/** One company's enrichment as the enrich stage produced it (or served it from the cache). */
export const EnrichmentResult = Schema.Struct({
  output: Enrichment,
  provider: Schema.String,
  model: Schema.String,
  promptVersion: Schema.String,
  inputHash: Schema.String,
  /** Tokens of every call made for this answer (a retried call counts too); for a cache hit, the original call's. */
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  /** Time spent inside model calls (not queueing for a slot, not backoff); for a cache hit, the original call's. */
  latencyMs: Schema.Number,
  /** Served from the `enrichments` table: nothing was sent this time. */
  cached: Schema.Boolean
})
export type EnrichmentResult = typeof EnrichmentResult.Type
