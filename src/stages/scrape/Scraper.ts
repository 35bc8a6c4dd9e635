import { Clock, Duration, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import { ScraperConfig, type ScraperSettings } from "../../config/ScraperConfig.js"
import { makeFairSemaphore } from "../../process/FairSemaphore.js"
import { hostName } from "../../schema/hostName.js"
import { sanitizeText } from "../../schema/sanitizeText.js"
import type { ScrapedPage, ScrapeResult } from "../../schema/ScrapeResult.js"
import { combinePageTexts } from "./combinePageTexts.js"
import { type HostRegistry, makeHostRegistry } from "./HostRegistry.js"
import { HostResolver } from "./HostResolver.js"
import { makeAddressGuard } from "./makeAddressGuard.js"
import { makeEventLoopTurns } from "./makeEventLoopTurns.js"
import { makeExchange } from "./makeExchange.js"
import { makeFetchExtraPages } from "./makeFetchExtraPages.js"
import { makeFetchHomepage } from "./makeFetchHomepage.js"
import { type Fetched, makeFollow } from "./makeFollow.js"
import { makeRequest } from "./makeRequest.js"
import { makeRobotsLoader } from "./makeRobotsLoader.js"
import { makePagePool } from "./PagePool.js"
import { ScrapeError } from "./ScrapeError.js"
import { ScraperTuning } from "./ScraperTuning.js"
import { SiteAddressing } from "./SiteAddressing.js"

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/**
 * The scraper with its own undici client, limits, page workers and per-host state; they live as long as the
 * scope (one run). Needs a HostResolver and a SiteAddressing. The parts, one job each: HostRegistry (turns,
 * Crawl-delay, robots.txt per host, evicted when no company uses the host), makeAddressGuard (resolution, SSRF
 * guard, pinned connections), makeExchange (one HTTP exchange and its body limits), makeRequest (turn, guard,
 * slot, retry), makeFollow (redirects), makeRobotsLoader (robots.txt), makeFetchHomepage (the https / www / http
 * fallback), makeFetchExtraPages, and PagePool (page bodies processed off this thread, under a CPU budget).
 */
export const makeScraper = (settings: ScraperSettings) =>
  Effect.gen(function* () {
    const resolver = yield* HostResolver
    const addressing = yield* SiteAddressing
    const tuning = yield* ScraperTuning
    const timeoutMs = Math.round(settings.timeoutSeconds * 1000)

    const guard = yield* makeAddressGuard({
      resolver,
      allowPrivateNetworks: settings.allowPrivateNetworks,
      connectTimeoutMs: timeoutMs,
      maxResponseBytes: settings.maxBytes
    })
    const exchange = makeExchange({
      dispatcher: guard.dispatcher,
      userAgent: settings.userAgent,
      timeoutMs,
      maxBytes: settings.maxBytes,
      robotsMaxBytes: tuning.robotsMaxBytes
    })
    const pages = yield* makePagePool({ workers: settings.pageWorkers, budgetMs: settings.pageBudgetMs })
    const slots = yield* makeFairSemaphore(settings.concurrency)

    const hosts: HostRegistry = makeHostRegistry({
      loadRobots: (state, origin) => loadRobots(state, origin),
      onEvict: guard.unpin
    })
    const request = makeRequest({
      hosts,
      dial: addressing.dial,
      guard: guard.guard,
      slots,
      exchange,
      pages,
      maxBytes: settings.maxBytes,
      maxTextLength: settings.maxTextLength,
      robotsMaxBytes: tuning.robotsMaxBytes,
      retry: { baseDelay: tuning.retryBaseDelay, maxDelay: tuning.retryMaxDelay, retryAfterCap: tuning.retryAfterCap }
    })
    const follow = makeFollow({ hosts, request, maxRedirects: tuning.maxRedirects, userAgent: settings.userAgent })
    const loadRobots = makeRobotsLoader({
      hosts,
      follow,
      userAgent: settings.userAgent,
      maxRetries: settings.maxRetries,
      crawlDelayCapMs: Duration.toMillis(tuning.crawlDelayCap)
    })
    const fetchHomepage = makeFetchHomepage({
      follow,
      role: { withHeadline: true, extraPages: settings.maxTextLength > 0 ? settings.extraPages : 0 },
      maxRetries: settings.maxRetries
    })
    const fetchExtraPages = makeFetchExtraPages({ follow, maxRetries: settings.maxRetries })

    const success = (domain: string, fetched: ReadonlyArray<Fetched>) =>
      Effect.map(Clock.currentTimeMillis, (now): ScrapeResult => {
        const text = sanitizeText(combinePageTexts(fetched.map((page) => page.text), settings.maxTextLength))
        const home = fetched[0]!
        return {
          domain,
          status: "success",
          errorKind: null,
          errorMessage: null,
          retryable: false,
          finalUrl: home.url.href,
          httpStatus: home.status,
          fetchedAt: new Date(now),
          contentHash: sha256(text),
          text,
          pages: fetched.map((p): ScrapedPage => ({ url: p.url.href, httpStatus: p.status }))
        }
      })

    // Messages quote what sites send (Location headers, robots.txt, server errors): stored, so sanitized.
    const failure = (domain: string, error: ScrapeError) =>
      Effect.map(
        Clock.currentTimeMillis,
        (now): ScrapeResult => ({
          domain,
          status: error.reason === "RobotsDisallowed" ? "skipped" : "failed",
          errorKind: error.reason,
          errorMessage: sanitizeText(error.message),
          retryable: error.retryable,
          finalUrl: error.url === undefined ? null : sanitizeText(error.url),
          httpStatus: error.httpStatus ?? null,
          fetchedAt: new Date(now),
          contentHash: null,
          text: null,
          pages: []
        })
      )

    const admission = makeEventLoopTurns()

    const scrape = (rawDomain: string): Effect.Effect<ScrapeResult> =>
      Effect.gen(function* () {
        yield* admission.turn
        const domain = hostName(rawDomain)
        if (domain === undefined) {
          return yield* new ScrapeError({ reason: "InvalidDomain", message: `'${rawDomain}' is not a host name` })
        }
        const home = yield* fetchHomepage(domain)
        const extras = yield* fetchExtraPages(home)
        return yield* success(rawDomain, [home, ...extras])
      }).pipe(
        Effect.scoped,
        Effect.catchAll((error) => failure(rawDomain, error)),
        Effect.catchAllDefect((defect) => failure(rawDomain, new ScrapeError({ reason: "Unknown", message: `unexpected failure: ${String(defect)}` }))),
        Effect.withSpan("Scraper.scrape", { attributes: { domain: rawDomain }, captureStackTrace: false })
      )

    return {
      /** Never fails: a failure is a result with status failed (or skipped, for robots.txt). */
      scrape,
      /** What the scraper holds between companies: hosts in use, their pinned addresses, page workers. */
      held: Effect.sync(() => ({ hosts: hosts.size(), pinnedHosts: guard.pinnedHosts(), pageWorkers: pages.workers() }))
    }
  })

/** Where site connections go: to the sites themselves, or all to SCRAPER_CONNECT_TO's one server. */
export const siteNetworkLayer = (settings: ScraperSettings): Layer.Layer<HostResolver | SiteAddressing> => {
  const timeoutMs = Math.round(settings.timeoutSeconds * 1000)
  if (settings.connectTo !== null) {
    return Layer.merge(HostResolver.ConnectTo(settings.connectTo, timeoutMs), SiteAddressing.ConnectTo(settings.connectTo))
  }
  const dns = Layer.unwrapEffect(
    Effect.map(ScraperTuning, (tuning) =>
      HostResolver.Dns({
        servers: settings.dnsServers,
        concurrency: settings.dnsConcurrency,
        timeoutMs: Math.round(settings.dnsTimeoutSeconds * 1000),
        maxTtlMs: Duration.toMillis(tuning.resolveTtl),
        negativeTtlMs: Duration.toMillis(tuning.negativeResolveTtl)
      })
    )
  )
  return Layer.merge(dns, SiteAddressing.Direct)
}

/** The scraper as configured (ScraperConfig), SCRAPER_CONNECT_TO included; needs nothing else. */
export class Scraper extends Effect.Service<Scraper>()("Scraper", {
  scoped: Effect.gen(function* () {
    const settings = yield* ScraperConfig
    const network = yield* Layer.build(siteNetworkLayer(settings))
    return yield* Effect.provide(makeScraper(settings), network)
  })
}) {}

/** A scraper on explicit settings, for tests and benches; provide HostResolver and SiteAddressing (fixtures). */
export const scraperLayer = (settings: ScraperSettings) => Layer.scoped(Scraper, Effect.map(makeScraper(settings), Scraper.make))
