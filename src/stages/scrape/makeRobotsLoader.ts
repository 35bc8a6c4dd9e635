import { Effect } from "effect"
import type { HostRegistry, HostState } from "./HostRegistry.js"
import type { Follow } from "./makeFollow.js"
import { allowAll, parseRobots, type RobotsRules } from "./RobotsRules.js"
import { isUnreachable, ScrapeError, type ScrapeErrorReason } from "./ScrapeError.js"

// Failures that say the origin itself cannot be talked to: the company fails as such (or the next candidate
// origin is tried), rather than being judged by its robots.txt.
const ORIGIN_FAILURES = new Set<ScrapeErrorReason>(["ConnectionReset", "BlockedAddress", "InvalidResponse", "HeaderTooLarge", "Unknown"])

/**
 * robots.txt of an origin (RFC 9309, as Google reads it): its first `robotsMaxBytes` parsed, whatever its size;
 * a 4xx or an unreadable file allows everything; 429, 5xx or a timeout disallow everything for this run
 * (RobotsUnavailable, retryable: the next run asks again); an origin that cannot be reached at all fails as such.
 * A Crawl-delay (capped) slows the host down for as long as it is in use.
 */
export const makeRobotsLoader = (options: {
  readonly hosts: HostRegistry
  readonly follow: Follow
  readonly userAgent: string
  readonly maxRetries: number
  readonly crawlDelayCapMs: number
}) =>
  (state: HostState, origin: string): Effect.Effect<RobotsRules, ScrapeError> => {
    const robotsUrl = new URL("/robots.txt", origin)
    const unavailable = (why: string, httpStatus?: number) =>
      Effect.fail(
        new ScrapeError({ reason: "RobotsUnavailable", message: `${robotsUrl.href} ${why}; robots.txt unavailable, nothing fetched`, url: robotsUrl.href, httpStatus })
      )
    return options.follow(robotsUrl, undefined, { maxRetries: options.maxRetries }).pipe(
      Effect.map((fetched) => parseRobots(robotsUrl.href, fetched.text, options.userAgent)),
      Effect.catchAll((error): Effect.Effect<RobotsRules, ScrapeError> => {
        if (error.reason === "HttpStatus" && error.httpStatus !== undefined) {
          return error.httpStatus === 429 || error.httpStatus >= 500
            ? unavailable(`answered HTTP ${error.httpStatus}`, error.httpStatus)
            : Effect.succeed(allowAll)
        }
        // A name that does not resolve in time is the origin's failure, not its robots.txt's.
        if (error.reason === "Timeout" && error.dns === undefined) return unavailable("did not answer in time")
        const originItself = error.url === robotsUrl.href
        const connection = isUnreachable(error.reason) || error.reason === "Timeout" || ORIGIN_FAILURES.has(error.reason)
        return originItself && connection ? Effect.fail(error) : Effect.succeed(allowAll)
      }),
      Effect.tap((rules) =>
        Effect.sync(() => {
          if (rules.crawlDelaySeconds !== undefined) {
            options.hosts.slowDown(state, Math.min(options.crawlDelayCapMs, rules.crawlDelaySeconds * 1000))
          }
        })
      ),
      Effect.scoped,
      Effect.withSpan("Scraper.robots", { attributes: { origin }, captureStackTrace: false })
    )
  }
