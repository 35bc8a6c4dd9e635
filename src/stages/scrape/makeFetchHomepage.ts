import { Effect, Either, type Scope } from "effect"
import { homepageCandidates } from "./homepageCandidates.js"
import { hostOf } from "./hostOf.js"
import type { Fetched, Follow } from "./makeFollow.js"
import type { PageRole } from "./makeRequest.js"
import { isUnreachable, ScrapeError } from "./ScrapeError.js"

const unreachableRank = { TlsError: 3, ConnectionRefused: 2, DnsFailure: 1 } as Record<string, number>

/**
 * The homepage at the first candidate origin that can be reached (`https://d`, `https://www.d`, `http://d`,
 * `http://www.d`); the most telling failure when none can. A host whose name did not resolve is not asked again,
 * and neither is `www.` of a name that does not exist or whose name servers fail (RFC 8020: nothing exists below
 * NXDOMAIN), so a dead domain costs one lookup.
 */
export const makeFetchHomepage = (options: { readonly follow: Follow; readonly role: PageRole; readonly maxRetries: number }) =>
  (domain: string): Effect.Effect<Fetched, ScrapeError, Scope.Scope> =>
    Effect.gen(function* () {
      const candidates = homepageCandidates(domain)
      const errors: Array<ScrapeError> = []
      const dead = new Set<string>()
      for (const candidate of candidates) {
        const url = new URL(candidate)
        const host = hostOf(url)
        if (dead.has(host)) continue
        const outcome = yield* Effect.either(options.follow(url, options.role, { maxRetries: options.maxRetries }))
        if (Either.isRight(outcome)) return outcome.right
        const error = outcome.left
        errors.push(error)
        if (!isUnreachable(error.reason)) return yield* Effect.fail(error)
        if (error.reason === "DnsFailure" && error.url === url.href) {
          dead.add(host)
          if (error.dns === "NXDOMAIN" || error.dns === "SERVFAIL") dead.add(`www.${host}`)
        }
      }
      const best = errors.reduce((a, b) => ((unreachableRank[b.reason] ?? 0) > (unreachableRank[a.reason] ?? 0) ? b : a))
      return yield* new ScrapeError({ reason: best.reason, message: `${best.message}; tried ${candidates.join(", ")}`, url: best.url, dns: best.dns })
    })
