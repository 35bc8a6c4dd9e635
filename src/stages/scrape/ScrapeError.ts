import { Data, Schema } from "effect"

export const ScrapeErrorReason = Schema.Literal(
  "InvalidDomain",
  "DnsFailure",
  "BlockedAddress",
  "ConnectionRefused",
  "ConnectionReset",
  "TlsError",
  "Timeout",
  "HttpStatus",
  "TooManyRedirects",
  "RedirectLoop",
  "InvalidRedirect",
  "TooLarge",
  "HeaderTooLarge",
  "NotHtml",
  "DecodeError",
  "InvalidResponse",
  "ExtractionTimeout",
  "RobotsDisallowed",
  "RobotsUnavailable",
  "OffSite",
  "Unknown"
)
export type ScrapeErrorReason = typeof ScrapeErrorReason.Type

const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500

/**
 * Whether trying again later may succeed as is. A function of the reason (and status) alone, so that a stored
 * result, which keeps only those, gets the same answer as the live error.
 */
export const isRetryable = (reason: string, httpStatus: number | null | undefined): boolean => {
  switch (reason) {
    case "Timeout":
    case "ConnectionReset":
    case "RobotsUnavailable":
    case "Unknown":
      return true
    case "HttpStatus":
      return httpStatus != null && transientStatus(httpStatus)
    default:
      return false
  }
}

/**
 * What a name server said when a name did not resolve. RFC 8020: NXDOMAIN means nothing exists below the name
 * either, so `www.` of a name that does not exist is not worth a lookup; NODATA (the name exists without an
 * address) is the case the `www.` fallback is for.
 */
export type DnsOutcome = "NXDOMAIN" | "NODATA" | "SERVFAIL" | "TIMEOUT" | "OTHER"

/** The failures after which the next candidate origin (www., then http://) is worth trying. */
export const isUnreachable = (reason: ScrapeErrorReason) =>
  reason === "DnsFailure" || reason === "ConnectionRefused" || reason === "TlsError"

/** Why a domain (or one request of it) could not be scraped. */
export class ScrapeError extends Data.TaggedError("ScrapeError")<{
  readonly reason: ScrapeErrorReason
  readonly message: string
  /** The URL this happened at, when there was one. */
  readonly url?: string | undefined
  /** The status the server answered, when it answered. */
  readonly httpStatus?: number | undefined
  /** Milliseconds the server asked us to wait (Retry-After on 429/503). */
  readonly retryAfterMs?: number | undefined
  /** For a failed name lookup, what the name server answered, when the resolver tells. */
  readonly dns?: DnsOutcome | undefined
}> {
  get retryable(): boolean {
    return isRetryable(this.reason, this.httpStatus)
  }
}
