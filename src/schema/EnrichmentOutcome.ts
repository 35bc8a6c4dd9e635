import { Schema } from "effect"
import { EnrichError } from "./EnrichError.js"
import { EnrichmentResult } from "./EnrichmentResult.js"

/** What the enrich stage made of one company: a failure is a value, so the company still reaches persist. */
export const EnrichmentOutcome = Schema.Union(
  Schema.TaggedStruct("Enriched", { result: EnrichmentResult }),
  Schema.TaggedStruct("EnrichFailed", { error: EnrichError }),
  Schema.TaggedStruct("NotEnriched", {})
)
export type EnrichmentOutcome = typeof EnrichmentOutcome.Type
