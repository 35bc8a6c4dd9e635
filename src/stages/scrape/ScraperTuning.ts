import { Context, type Duration } from "effect"

/** Fixed politeness and safety limits; a Reference so tests can shorten them without touching configuration. */
export class ScraperTuning extends Context.Reference<ScraperTuning>()("ScraperTuning", {
  defaultValue: () => ({
    /** First retry backoff (doubled, jittered) and its cap. */
    retryBaseDelay: "500 millis" as Duration.DurationInput,
    retryMaxDelay: "8 seconds" as Duration.DurationInput,
    /** The longest Retry-After waited for; a longer one ends retrying for this run. */
    retryAfterCap: "30 seconds" as Duration.DurationInput,
    /** The longest robots.txt Crawl-delay honoured between two requests to one host. */
    crawlDelayCap: "10 seconds" as Duration.DurationInput,
    maxRedirects: 5,
    /** How much of a robots.txt is read and parsed, as Google does (RFC 9309: at least 500 KiB); the rest is ignored. */
    robotsMaxBytes: 500 * 1024,
    /** The longest a name's addresses are reused within a run (their DNS TTL when shorter). */
    resolveTtl: "1 minute" as Duration.DurationInput,
    /** How long a name that does not resolve (NXDOMAIN, NODATA, SERVFAIL) is not asked again. */
    negativeResolveTtl: "1 minute" as Duration.DurationInput
  })
}) {}
