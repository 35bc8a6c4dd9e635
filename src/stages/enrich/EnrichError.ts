import { Data } from "effect"

export type EnrichErrorReason =
  | "Timeout"
  | "RateLimited"
  | "ServerError"
  | "Connection"
  | "InvalidOutput"
  | "Refused"
  | "Unknown"

/** Why one company could not be enriched; `retryable` says whether a later run may succeed as is. */
export class EnrichError extends Data.TaggedError("EnrichError")<{
  readonly reason: EnrichErrorReason
  readonly message: string
  /** The start of what the model answered, when it answered something unusable. */
  readonly rawExcerpt?: string | undefined
  readonly retryable: boolean
  /** Milliseconds the server asked us to wait (429 Retry-After). */
  readonly retryAfterMs?: number | undefined
}> {}
