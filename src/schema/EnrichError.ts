import { Schema } from "effect"

export const EnrichErrorReason = Schema.Literal("Timeout", "RateLimited", "ServerError", "Connection", "InvalidOutput", "Refused", "Unknown")
export type EnrichErrorReason = typeof EnrichErrorReason.Type

/**
 * Why one company could not be enriched; `retryable` says whether a later run may succeed as is. A Schema
 * class: it travels in workflow activity results and is stored as JSON.
 */
export class EnrichError extends Schema.TaggedError<EnrichError>()("EnrichError", {
  reason: EnrichErrorReason,
  message: Schema.String,
  /** The start of what the model answered, when it answered something unusable. */
  rawExcerpt: Schema.optional(Schema.String),
  retryable: Schema.Boolean,
  /** Milliseconds the server asked us to wait (429 Retry-After). */
  retryAfterMs: Schema.optional(Schema.Number)
}) {}
