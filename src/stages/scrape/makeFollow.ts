import { Effect, type Scope } from "effect"
import { sameSite } from "./sameSite.js"
import type { HostRegistry } from "./HostRegistry.js"
import { hostOf } from "./hostOf.js"
import type { makeRequest, PageRole } from "./makeRequest.js"
import { ScrapeError } from "./ScrapeError.js"

export interface Fetched {
  readonly url: URL
  readonly status: number
  readonly text: string
  readonly links: ReadonlyArray<string>
}

export interface FollowOptions {
  readonly maxRetries: number
  /** Redirects off this site fail (extra pages). */
  readonly sameSiteAs?: URL | undefined
}

/** The same error, located at `url`. */
export const atUrl = (error: ScrapeError, url: string) =>
  new ScrapeError({ reason: error.reason, message: error.message, url, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs, dns: error.dns })

/**
 * Follows redirects by hand, at most `maxRedirects`, so that every hop passes robots.txt (pages) and the address
 * guard; each hop's host is leased for the scope (the scrape of one company). A page has a role; robots.txt none.
 */
export const makeFollow = (options: {
  readonly hosts: HostRegistry
  readonly request: ReturnType<typeof makeRequest>
  readonly maxRedirects: number
  readonly userAgent: string
}) => {
  const { hosts, request, maxRedirects } = options
  return (start: URL, role: PageRole | undefined, follow: FollowOptions): Effect.Effect<Fetched, ScrapeError, Scope.Scope> =>
    Effect.gen(function* () {
      const visited = new Set([start.href])
      let current = start
      for (let redirects = 0; ; redirects++) {
        const state = yield* hosts.lease(hostOf(current))
        if (role !== undefined) {
          const rules = yield* Effect.mapError(hosts.robots(state, current.origin), (e) => atUrl(e, current.href))
          if (!rules.isAllowed(current.href)) {
            return yield* new ScrapeError({
              reason: "RobotsDisallowed",
              message: `robots.txt of ${current.host} disallows ${current.href} for ${options.userAgent}`,
              url: current.href
            })
          }
        }
        const answer = yield* request(state, current, role, follow.maxRetries)
        if (answer._tag === "Body") return { url: current, status: answer.status, text: answer.text, links: answer.links }
        const at = { url: current.href, httpStatus: answer.status }
        let next: URL
        try {
          next = new URL(answer.location, current)
        } catch {
          return yield* new ScrapeError({ reason: "InvalidRedirect", message: `${current.href} redirects to an invalid URL '${answer.location}'`, ...at })
        }
        next.hash = ""
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          return yield* new ScrapeError({ reason: "InvalidRedirect", message: `${current.href} redirects to ${next.protocol} URL ${next.href}`, ...at })
        }
        if (visited.has(next.href)) {
          return yield* new ScrapeError({ reason: "RedirectLoop", message: `${start.href} redirects in a loop back to ${next.href}`, ...at })
        }
        if (redirects >= maxRedirects) {
          return yield* new ScrapeError({ reason: "TooManyRedirects", message: `${start.href} redirects more than ${maxRedirects} times`, ...at })
        }
        if (follow.sameSiteAs && !sameSite(next, follow.sameSiteAs)) {
          return yield* new ScrapeError({ reason: "OffSite", message: `${current.href} redirects off site to ${next.href}`, ...at })
        }
        visited.add(next.href)
        current = next
      }
    })
}

export type Follow = ReturnType<typeof makeFollow>
