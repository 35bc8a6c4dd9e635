import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Duration, Effect, Either, Exit, Layer, Scope } from "effect"
import { createHash } from "node:crypto"
import * as net from "node:net"
import { ScraperConfig, type ScraperSettings } from "../../config/ScraperConfig.js"
import type { ScrapedPage, ScrapeResult } from "../../schema/ScrapeResult.js"
import { type FairSemaphore, makeFairSemaphore } from "../../process/FairSemaphore.js"
import { firstBlocked } from "./addressGuard.js"
import { classifyTransportError } from "./classifyTransportError.js"
import { combinePageTexts } from "./combinePageTexts.js"
import { decompressBody } from "./decompressBody.js"
import { sameSite } from "./findExtraPages.js"
import { homepageCandidates, hostOf, normalizeDomain } from "./homepageCandidates.js"
import { HostResolver } from "./HostResolver.js"
import { makeEventLoopTurns } from "./makeEventLoopTurns.js"
import { makeKeyedMemo } from "./makeKeyedMemo.js"
import { type AddressPins, makePinnedDispatcher } from "./pinnedDispatcher.js"
import { allowAll, parseRobots, type RobotsRules } from "./RobotsRules.js"
import { runPage } from "./runPage.js"
import { isUnreachable, ScrapeError } from "./ScrapeError.js"
import { ScraperTuning } from "./ScraperTuning.js"
import { parseRetryAfter, scrapeRetrySchedule } from "./scrapeRetrySchedule.js"
import { type Dial, SiteAddressing } from "./SiteAddressing.js"

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"])

type Purpose = "robots" | "page"

/** What becomes of a page body: the homepage's text leads with its title, and its links are followed. */
interface PageRole {
  readonly withHeadline: boolean
  readonly extraPages: number
}

type Answer =
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: string }
  /** robots.txt: the file's text; a page: its extracted text and the extra pages it links to. */
  | { readonly _tag: "Body"; readonly status: number; readonly text: string; readonly links: ReadonlyArray<string> }

interface Raw {
  readonly _tag: "Raw"
  readonly status: number
  readonly bytes: Uint8Array
  readonly contentType: string | undefined
  readonly mediaType: string | undefined
  readonly contentEncoding: string | undefined
}

interface Fetched {
  readonly url: URL
  readonly status: number
  readonly text: string
  readonly links: ReadonlyArray<string>
}

interface HostState {
  readonly turn: FairSemaphore
  lastDoneAt: number
  crawlDelayMs: number
}

const fail = (reason: ScrapeError["reason"], message: string, extra: Partial<Pick<ScrapeError, "url" | "httpStatus">> = {}) =>
  Effect.fail(new ScrapeError({ reason, message, ...extra }))

const atUrl = (error: ScrapeError, url: string) =>
  new ScrapeError({ reason: error.reason, message: error.message, url, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs })

const unreachableRank = { TlsError: 3, ConnectionRefused: 2, DnsFailure: 1 } as Record<string, number>

const tooLargeError = (url: string, maxBytes: number, status: number) =>
  new ScrapeError({ reason: "TooLarge", message: `${url} is larger than ${maxBytes} bytes`, url, httpStatus: status })

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/**
 * The scraper with its own undici client, limits and caches; they live as long as the scope (one run), so
 * robots.txt is fetched once per origin per run. Needs a HostResolver and a SiteAddressing. Page bodies are
 * decoded and extracted off this thread (runPage), which keeps to the network.
 */
export const makeScraper = (settings: ScraperSettings) =>
  Effect.gen(function* () {
    const resolver = yield* HostResolver
    const addressing = yield* SiteAddressing
    const tuning = yield* ScraperTuning
    const timeoutMs = Math.round(settings.timeoutSeconds * 1000)
    const crawlDelayCapMs = Duration.toMillis(tuning.crawlDelayCap)

    const pins: AddressPins = new Map()
    // undici itself stops reading a body past SCRAPER_MAX_BYTES and drops the connection (endless bodies).
    const dispatcher = yield* makePinnedDispatcher(pins, {
      connectTimeoutMs: timeoutMs,
      maxResponseBytes: settings.maxBytes
    })
    // Redirects are followed by hand, hop by hop, so that every hop passes robots.txt and the address guard.
    const client = NodeHttpClient.makeUndici(dispatcher).pipe(
      HttpClient.mapRequest(
        HttpClientRequest.setHeaders({
          "user-agent": settings.userAgent,
          accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
          "accept-language": "en;q=1.0,*;q=0.5",
          "accept-encoding": "gzip, deflate, br"
        })
      ),
      HttpClient.withScope,
      // One span per request is ours (Scraper.request, with the logical URL); the client's would repeat it.
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const slots = yield* makeFairSemaphore(settings.concurrency)
    const hosts = new Map<string, HostState>()

    const hostState = (host: string) => {
      let state = hosts.get(host)
      if (!state) {
        // FIFO, and no stampede when many domains end up on one host (redirects to one platform).
        state = { turn: Effect.runSync(makeFairSemaphore(1)), lastDoneAt: 0, crawlDelayMs: 0 }
        hosts.set(host, state)
      }
      return state
    }

    /** One request at a time per host, Crawl-delay apart; the global slot is taken only once it is our turn. */
    const inHostTurn = <A, E>(host: string, effect: Effect.Effect<A, E>) => {
      const state = hostState(host)
      return state.turn.withPermit(
        Effect.gen(function* () {
          if (state.crawlDelayMs > 0 && state.lastDoneAt > 0) {
            const wait = state.lastDoneAt + state.crawlDelayMs - (yield* Clock.currentTimeMillis)
            if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
          }
          return yield* effect.pipe(
            Effect.ensuring(Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void (state.lastDoneAt = now))))
          )
        })
      )
    }

    const resolve = makeKeyedMemo((host) => resolver.resolve(host), { ttlMs: Duration.toMillis(tuning.resolveTtl) })

    /**
     * Resolves the site's host, refuses special-purpose addresses, and pins the checked ones for the socket
     * (for the dialled host too when SCRAPER_CONNECT_TO names one: its addresses are what was checked).
     */
    const guard = (url: URL, dial: Dial) =>
      Effect.gen(function* () {
        const host = hostOf(url)
        const addresses = yield* Effect.mapError(resolve(host), (e) => atUrl(e, url.href))
        if (!settings.allowPrivateNetworks) {
          const blocked = firstBlocked(addresses)
          if (blocked) {
            return yield* fail("BlockedAddress", `${host} resolves to ${blocked.address} (${blocked.range}); not connecting`, { url: url.href })
          }
        }
        pins.set(host, addresses)
        const dialled = hostOf(dial.url)
        if (dialled !== host && net.isIP(dialled) === 0) pins.set(dialled, addresses)
      })

    /**
     * Runs a request in a scope of its own that SCRAPER_TIMEOUT closes if the request is still running: closing
     * it aborts the request (HttpClient.withScope), which then fails and is reported as `onTimeout`. A timer,
     * where Effect.timeout would race two fibers per request.
     */
    const withDeadline =
      (onTimeout: () => ScrapeError) =>
      <A>(effect: Effect.Effect<A, ScrapeError, Scope.Scope>): Effect.Effect<A, ScrapeError> =>
        Effect.acquireUseRelease(
          Scope.make(),
          (requestScope) =>
            Effect.suspend(() => {
              let expired = false
              const timer = setTimeout(() => {
                expired = true
                Effect.runFork(Scope.close(requestScope, Exit.void))
              }, timeoutMs)
              return effect.pipe(
                Scope.extend(requestScope),
                Effect.catchAllCause((cause) => (expired ? Effect.fail(onTimeout()) : Effect.failCause(cause))),
                Effect.ensuring(Effect.sync(() => clearTimeout(timer)))
              )
            }),
          (requestScope, exit) => Scope.close(requestScope, exit)
        )

    /**
     * One request, no retry, holding a global slot for the network part only: the answer's status and, unless
     * it redirects or fails, its raw body (at most SCRAPER_MAX_BYTES; the type checked before reading).
     */
    const exchange = (url: URL, dial: Dial, purpose: Purpose) => {
      const href = url.href
      const maxBytes = settings.maxBytes
      return Effect.gen(function* () {
        const get = HttpClientRequest.get(dial.url)
        const request = dial.hostHeader === undefined ? get : HttpClientRequest.setHeader(get, "host", dial.hostHeader)
        const response = yield* Effect.mapError(client.execute(request), (e) => classifyTransportError(e, href))
        const { status, headers } = response
        const location = headers["location"]?.trim()
        if (REDIRECTS.has(status) || (status === 300 && location)) {
          if (!location) return yield* fail("HttpStatus", `${href} answered ${status} without a Location`, { url: href, httpStatus: status })
          return { _tag: "Redirect", status, location } satisfies Answer
        }
        if (status < 200 || status >= 300) {
          const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers["retry-after"], yield* Clock.currentTimeMillis) : undefined
          return yield* Effect.fail(
            new ScrapeError({ reason: "HttpStatus", message: `${href} answered HTTP ${status}`, url: href, httpStatus: status, retryAfterMs })
          )
        }
        const contentType = headers["content-type"]
        const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() || undefined
        if (purpose === "page" && mediaType !== undefined && !HTML_TYPES.has(mediaType)) {
          return yield* fail("NotHtml", `${href} is ${mediaType}, not HTML`, { url: href, httpStatus: status })
        }
        if (Number(headers["content-length"]) > maxBytes) return yield* Effect.fail(tooLargeError(href, maxBytes, status))
        const body = yield* Effect.mapError(response.arrayBuffer, (e) => {
          const error = classifyTransportError(e, href)
          return error.reason === "TooLarge"
            ? tooLargeError(href, maxBytes, status)
            : new ScrapeError({ reason: error.reason, message: error.message, url: href, httpStatus: status })
        })
        return {
          _tag: "Raw",
          status,
          bytes: new Uint8Array(body),
          contentType,
          mediaType,
          contentEncoding: headers["content-encoding"]
        } satisfies Raw
      }).pipe(
        withDeadline(() => new ScrapeError({ reason: "Timeout", message: `${href} did not answer within ${settings.timeoutSeconds} s`, url: href }))
      )
    }

    /** robots.txt as text (RFC 9309: at least 500 KiB of it parsed); a page processed off this thread. */
    const finish = (url: URL, raw: Raw, role: PageRole | undefined): Effect.Effect<Answer, ScrapeError> => {
      const href = url.href
      if (role === undefined) {
        const body = decompressBody(raw.bytes, raw.contentEncoding, settings.maxBytes)
        if (body._tag === "TooLarge") return Effect.fail(tooLargeError(href, settings.maxBytes, raw.status))
        if (body._tag === "Invalid") return fail("DecodeError", `${href}: ${body.message}`, { url: href, httpStatus: raw.status })
        const text = new TextDecoder().decode(body.bytes.subarray(0, tuning.robotsMaxBytes))
        return Effect.succeed({ _tag: "Body", status: raw.status, text, links: [] })
      }
      return Effect.flatMap(
        runPage({
          url: href,
          bytes: raw.bytes,
          contentType: raw.contentType,
          mediaType: raw.mediaType,
          contentEncoding: raw.contentEncoding,
          maxBytes: settings.maxBytes,
          maxTextLength: settings.maxTextLength,
          withHeadline: role.withHeadline,
          extraPages: role.extraPages
        }),
        (output) =>
          output._tag === "Page"
            ? Effect.succeed({ _tag: "Body", status: raw.status, text: output.text, links: output.links })
            : fail(output.reason, output.message, { url: href, httpStatus: raw.status })
      )
    }

    const retryOptions = {
      baseDelay: tuning.retryBaseDelay,
      maxDelay: tuning.retryMaxDelay,
      retryAfterCap: tuning.retryAfterCap
    }
    const retrySchedules = new Map<number, ReturnType<typeof scrapeRetrySchedule>>()
    const retrySchedule = (maxRetries: number) => {
      let schedule = retrySchedules.get(maxRetries)
      if (!schedule) retrySchedules.set(maxRetries, (schedule = scrapeRetrySchedule({ ...retryOptions, maxRetries })))
      return schedule
    }

    /** Our turn at the host, the address guard, then a global slot for the exchange itself; retried if transient. */
    const request = (url: URL, role: PageRole | undefined, maxRetries: number): Effect.Effect<Answer, ScrapeError> =>
      inHostTurn(
        hostOf(url),
        Effect.gen(function* () {
          const dial = addressing.dial(url)
          yield* guard(url, dial)
          const answer = yield* slots.withPermit(exchange(url, dial, role === undefined ? "robots" : "page"))
          return answer._tag === "Raw" ? yield* finish(url, answer, role) : answer
        })
      ).pipe(
        Effect.retry(retrySchedule(maxRetries)),
        Effect.withSpan("Scraper.request", { attributes: { url: url.href, robots: role === undefined }, captureStackTrace: false })
      )

    /**
     * Follows redirects by hand, at most `maxRedirects`, checking robots.txt (pages) and the guard at each hop.
     * A page has a role; robots.txt has none.
     */
    const follow = (
      start: URL,
      role: PageRole | undefined,
      options: { readonly maxRetries: number; readonly sameSiteAs?: URL | undefined }
    ): Effect.Effect<Fetched, ScrapeError> =>
      Effect.gen(function* () {
        const visited = new Set([start.href])
        let current = start
        for (let redirects = 0; ; redirects++) {
          if (role !== undefined) {
            const rules = yield* Effect.mapError(robots(current.origin), (e) => atUrl(e, current.href))
            if (!rules.isAllowed(current.href)) {
              return yield* fail("RobotsDisallowed", `robots.txt of ${current.host} disallows ${current.href} for ${settings.userAgent}`, {
                url: current.href
              })
            }
          }
          const answer = yield* request(current, role, options.maxRetries)
          if (answer._tag === "Body") return { url: current, status: answer.status, text: answer.text, links: answer.links }
          const at = { url: current.href, httpStatus: answer.status }
          let next: URL
          try {
            next = new URL(answer.location, current)
          } catch {
            return yield* fail("InvalidRedirect", `${current.href} redirects to an invalid URL '${answer.location}'`, at)
          }
          next.hash = ""
          if (next.protocol !== "http:" && next.protocol !== "https:") {
            return yield* fail("InvalidRedirect", `${current.href} redirects to ${next.protocol} URL ${next.href}`, at)
          }
          if (visited.has(next.href)) return yield* fail("RedirectLoop", `${start.href} redirects in a loop back to ${next.href}`, at)
          if (redirects >= tuning.maxRedirects) {
            return yield* fail("TooManyRedirects", `${start.href} redirects more than ${tuning.maxRedirects} times`, at)
          }
          if (options.sameSiteAs && !sameSite(next, options.sameSiteAs)) {
            return yield* fail("OffSite", `${current.href} redirects off site to ${next.href}`, at)
          }
          visited.add(next.href)
          current = next
        }
      })

    /**
     * robots.txt of an origin (RFC 9309): a 4xx or an unreadable file allows everything; 429/5xx disallow
     * everything for now (RobotsUnavailable, retryable); an origin that cannot be reached at all fails as such.
     */
    const loadRobots = (origin: string): Effect.Effect<RobotsRules, ScrapeError> => {
      const robotsUrl = new URL("/robots.txt", origin)
      return follow(robotsUrl, undefined, { maxRetries: settings.maxRetries }).pipe(
        Effect.map((fetched) => parseRobots(robotsUrl.href, fetched.text, settings.userAgent)),
        Effect.catchAll((error) => {
          if (error.reason === "HttpStatus" && error.httpStatus !== undefined) {
            return error.httpStatus === 429 || error.httpStatus >= 500
              ? fail("RobotsUnavailable", `${error.url ?? robotsUrl.href} answered HTTP ${error.httpStatus}; robots.txt unavailable, nothing fetched`, {
                  url: robotsUrl.href,
                  httpStatus: error.httpStatus
                })
              : Effect.succeed(allowAll)
          }
          const originItself = error.url === robotsUrl.href
          const connection = isUnreachable(error.reason) ||
            ["ConnectionReset", "Timeout", "BlockedAddress", "InvalidResponse", "Unknown"].includes(error.reason)
          return originItself && connection ? Effect.fail(error) : Effect.succeed(allowAll)
        }),
        Effect.tap((rules) =>
          Effect.sync(() => {
            if (rules.crawlDelaySeconds === undefined) return
            const state = hostState(hostOf(robotsUrl))
            state.crawlDelayMs = Math.max(state.crawlDelayMs, Math.min(crawlDelayCapMs, rules.crawlDelaySeconds * 1000))
          })
        ),
        Effect.withSpan("Scraper.robots", { attributes: { origin }, captureStackTrace: false })
      )
    }

    const robots = makeKeyedMemo(loadRobots)

    const homepage: PageRole = { withHeadline: true, extraPages: settings.maxTextLength > 0 ? settings.extraPages : 0 }
    const extraPage: PageRole = { withHeadline: false, extraPages: 0 }

    /** The first candidate origin that can be reached; the most telling failure when none can. */
    const fetchHomepage = (domain: string) =>
      Effect.gen(function* () {
        const candidates = homepageCandidates(domain)
        const errors: Array<ScrapeError> = []
        for (const candidate of candidates) {
          const outcome = yield* Effect.either(follow(new URL(candidate), homepage, { maxRetries: settings.maxRetries }))
          if (Either.isRight(outcome)) return outcome.right
          errors.push(outcome.left)
          if (!isUnreachable(outcome.left.reason)) return yield* Effect.fail(outcome.left)
        }
        const best = errors.reduce((a, b) => ((unreachableRank[b.reason] ?? 0) > (unreachableRank[a.reason] ?? 0) ? b : a))
        return yield* Effect.fail(
          new ScrapeError({ reason: best.reason, message: `${best.message}; tried ${candidates.join(", ")}`, url: best.url })
        )
      })

    const success = (domain: string, pages: ReadonlyArray<Fetched>) =>
      Effect.gen(function* () {
        const budget = settings.maxTextLength
        const text = combinePageTexts(pages.map((page) => page.text), budget)
        const home = pages[0]!
        return {
          domain,
          status: "success",
          errorKind: null,
          errorMessage: null,
          retryable: false,
          finalUrl: home.url.href,
          httpStatus: home.status,
          fetchedAt: new Date(yield* Clock.currentTimeMillis),
          contentHash: sha256(text),
          text,
          pages: pages.map((p): ScrapedPage => ({ url: p.url.href, httpStatus: p.status }))
        } satisfies ScrapeResult
      })

    const failure = (domain: string, error: ScrapeError) =>
      Effect.map(
        Clock.currentTimeMillis,
        (now): ScrapeResult => ({
          domain,
          status: error.reason === "RobotsDisallowed" ? "skipped" : "failed",
          errorKind: error.reason,
          errorMessage: error.message,
          retryable: error.retryable,
          finalUrl: error.url ?? null,
          httpStatus: error.httpStatus ?? null,
          fetchedAt: new Date(now),
          contentHash: null,
          text: null,
          pages: []
        })
      )

    /** Same-site about / product / pricing / customers pages; one that fails is simply left out. */
    const fetchExtraPages = (home: Fetched) =>
      Effect.forEach(
        home.links,
        (href) => Effect.option(follow(new URL(href), extraPage, { maxRetries: Math.min(1, settings.maxRetries), sameSiteAs: home.url })),
        { concurrency: 1 }
      ).pipe(
        Effect.map((fetched) => {
          const pages: Array<Fetched> = []
          for (const page of fetched) {
            if (page._tag === "None") continue
            const seen = [home, ...pages].some((p) => p.url.href === page.value.url.href || p.text === page.value.text)
            if (!seen) pages.push(page.value)
          }
          return pages
        })
      )

    const admission = makeEventLoopTurns()

    const scrape = (rawDomain: string): Effect.Effect<ScrapeResult> =>
      Effect.gen(function* () {
        yield* admission.turn
        const domain = normalizeDomain(rawDomain)
        if (domain === undefined) {
          return yield* fail("InvalidDomain", `'${rawDomain}' is not a host name`)
        }
        const home = yield* fetchHomepage(domain)
        const extras = yield* fetchExtraPages(home)
        return yield* success(rawDomain, [home, ...extras])
      }).pipe(
        Effect.catchAll((error) => failure(rawDomain, error)),
        Effect.catchAllDefect((defect) => failure(rawDomain, new ScrapeError({ reason: "Unknown", message: `unexpected failure: ${String(defect)}` }))),
        Effect.withSpan("Scraper.scrape", { attributes: { domain: rawDomain }, captureStackTrace: false })
      )

    return {
      /** Never fails: a failure is a result with status failed (or skipped, for robots.txt). */
      scrape
    }
  })

/** Where site connections go: to the sites themselves, or all to SCRAPER_CONNECT_TO's one server. */
export const siteNetworkLayer = (settings: ScraperSettings): Layer.Layer<HostResolver | SiteAddressing> => {
  const timeoutMs = Math.round(settings.timeoutSeconds * 1000)
  return settings.connectTo === null
    ? Layer.merge(HostResolver.System(timeoutMs), SiteAddressing.Direct)
    : Layer.merge(HostResolver.ConnectTo(settings.connectTo, timeoutMs), SiteAddressing.ConnectTo(settings.connectTo))
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
