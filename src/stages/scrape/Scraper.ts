import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Duration, Effect, Either, Layer, Stream } from "effect"
import { createHash } from "node:crypto"
import * as net from "node:net"
import { ScraperConfig, type ScraperSettings } from "../../config/ScraperConfig.js"
import type { ScrapedPage, ScrapeResult } from "../../schema/ScrapeResult.js"
import { makeFairSemaphore } from "../enrich/FairSemaphore.js"
import { firstBlocked } from "./addressGuard.js"
import { classifyTransportError } from "./classifyTransportError.js"
import { combinePageTexts } from "./combinePageTexts.js"
import { decodeHtml } from "./decodeHtml.js"
import { decompressBody } from "./decompressBody.js"
import { extractText } from "./extractText.js"
import { findExtraPages, sameSite } from "./findExtraPages.js"
import { homepageCandidates, hostOf, normalizeDomain } from "./homepageCandidates.js"
import { HostResolver } from "./HostResolver.js"
import { makeKeyedMemo } from "./makeKeyedMemo.js"
import { type AddressPins, makePinnedDispatcher } from "./pinnedDispatcher.js"
import { allowAll, parseRobots, type RobotsRules } from "./RobotsRules.js"
import { isUnreachable, ScrapeError } from "./ScrapeError.js"
import { ScraperTuning } from "./ScraperTuning.js"
import { parseRetryAfter, scrapeRetrySchedule } from "./scrapeRetrySchedule.js"
import { SiteAddressing } from "./SiteAddressing.js"

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"])

type Purpose = "robots" | "page"

type Answer =
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: string }
  | { readonly _tag: "Body"; readonly status: number; readonly text: string }

interface Fetched {
  readonly url: URL
  readonly status: number
  readonly text: string
}

interface HostState {
  readonly turn: Effect.Semaphore
  lastDoneAt: number
  crawlDelayMs: number
}

const fail = (reason: ScrapeError["reason"], message: string, extra: Partial<Pick<ScrapeError, "url" | "httpStatus">> = {}) =>
  Effect.fail(new ScrapeError({ reason, message, ...extra }))

const atUrl = (error: ScrapeError, url: string) =>
  new ScrapeError({ reason: error.reason, message: error.message, url, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs })

const unreachableRank = { TlsError: 3, ConnectionRefused: 2, DnsFailure: 1 } as Record<string, number>

const tooLarge = (url: string, maxBytes: number, status: number) =>
  fail("TooLarge", `${url} is larger than ${maxBytes} bytes`, { url, httpStatus: status })

const looksLikeHtml = (text: string) => /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)\b/i.test(text)

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** A page's extracted parts as one text: the title and description only when the body does not repeat them. */
const pageText = (html: string, maxLength: number, withHeadline: boolean) => {
  const { title, description, text } = extractText(html, { maxLength })
  if (!withHeadline) return text
  const parts: Array<string> = []
  for (const part of [title, description]) {
    const trimmed = part.trim()
    if (trimmed !== "" && !text.includes(trimmed) && !parts.includes(trimmed)) parts.push(trimmed)
  }
  return [...parts, text].join("\n")
}

/**
 * The scraper with its own undici client, limits and caches; they live as long as the scope (one run), so
 * robots.txt is fetched once per origin per run. Needs a HostResolver and a SiteAddressing.
 */
export const makeScraper = (settings: ScraperSettings) =>
  Effect.gen(function* () {
    const resolver = yield* HostResolver
    const addressing = yield* SiteAddressing
    const tuning = yield* ScraperTuning
    const timeout = Duration.millis(Math.round(settings.timeoutSeconds * 1000))
    const crawlDelayCapMs = Duration.toMillis(tuning.crawlDelayCap)

    const pins: AddressPins = new Map()
    const dispatcher = yield* makePinnedDispatcher(pins, { connectTimeoutMs: Duration.toMillis(timeout) })
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
        state = { turn: Effect.unsafeMakeSemaphore(1), lastDoneAt: 0, crawlDelayMs: 0 }
        hosts.set(host, state)
      }
      return state
    }

    /** One request at a time per host, Crawl-delay apart; the global slot is taken only once it is our turn. */
    const inHostTurn = <A, E>(host: string, effect: Effect.Effect<A, E>) => {
      const state = hostState(host)
      return state.turn.withPermits(1)(
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

    const scope = yield* Effect.scope
    const resolve = makeKeyedMemo(
      scope,
      (host) =>
        resolver.resolve(host).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new ScrapeError({ reason: "Timeout", message: `resolving ${host} took longer than ${settings.timeoutSeconds} s` })
          })
        ),
      { ttlMs: Duration.toMillis(tuning.resolveTtl) }
    )

    /** Resolves the host, refuses special-purpose addresses, and pins the checked ones for the socket. */
    const guard = (host: string, url: string) =>
      Effect.gen(function* () {
        const addresses = net.isIP(host) !== 0 ? [host] : yield* Effect.mapError(resolve(host), (e) => atUrl(e, url))
        if (!settings.allowPrivateNetworks) {
          const blocked = firstBlocked(addresses)
          if (blocked) {
            return yield* fail("BlockedAddress", `${host} resolves to ${blocked.address} (${blocked.range}); not connecting`, { url })
          }
        }
        pins.set(host, addresses)
      })

    const readCapped = (stream: Stream.Stream<Uint8Array, unknown>, maxBytes: number, url: string) =>
      stream.pipe(
        Stream.runFoldWhile(
          { chunks: [] as Array<Uint8Array>, size: 0 },
          (acc) => acc.size <= maxBytes,
          (acc, chunk) => {
            acc.chunks.push(chunk)
            acc.size += chunk.byteLength
            return acc
          }
        ),
        Effect.mapError((e) => classifyTransportError(e, url)),
        Effect.map((acc) => ({ bytes: Buffer.concat(acc.chunks), size: acc.size }))
      )

    /**
     * One request, no retry, holding a global slot for the network part only: the answer's status and, unless
     * it redirects, its raw body (at most the byte cap, types checked before reading).
     */
    const exchange = (url: URL, purpose: Purpose) => {
      const href = url.href
      const maxBytes = purpose === "robots" ? tuning.robotsMaxBytes : settings.maxBytes
      return Effect.gen(function* () {
        const G = ((globalThis as any).__T ??= { n: 0, a2c: 0, c2d: 0, d2e: 0, gap: 0, lastRelease: [] as number[] })
        const tA = performance.now()
        if (G.lastRelease.length) G.gap += tA - G.lastRelease.shift()
        const dial = addressing.dial(url)
        const base = HttpClientRequest.get(dial.url)
        const request = dial.hostHeader === undefined ? base : HttpClientRequest.setHeader(base, "host", dial.hostHeader)
        const response = yield* Effect.mapError(client.execute(request), (e) => classifyTransportError(e, href))
        const { status, headers } = response
        const tC = performance.now(); G.a2c += tC - tA; G.n++
        yield* Effect.addFinalizer(() => Effect.sync(() => { G.c2d += performance.now() - tC }))
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
        if (Number(headers["content-length"]) > maxBytes) return yield* tooLarge(href, maxBytes, status)
        const raw = yield* readCapped(response.stream, maxBytes, href)
        if (raw.size > maxBytes) return yield* tooLarge(href, maxBytes, status)
        return { _tag: "Raw", status, bytes: raw.bytes, contentType, mediaType, contentEncoding: headers["content-encoding"] } as const
      }).pipe(
        Effect.scoped,
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new ScrapeError({ reason: "Timeout", message: `${href} did not answer within ${settings.timeoutSeconds} s`, url: href })
        })
      )
    }

    type Raw = Extract<Effect.Effect.Success<ReturnType<typeof exchange>>, { _tag: "Raw" }>

    /** Content-Encoding and charset undone, after the slot is given back. */
    const decode = (url: URL, purpose: Purpose, raw: Raw) => {
      const href = url.href
      const maxBytes = purpose === "robots" ? tuning.robotsMaxBytes : settings.maxBytes
      const body = decompressBody(raw.bytes, raw.contentEncoding, maxBytes)
      if (body._tag === "TooLarge") return tooLarge(href, maxBytes, raw.status)
      if (body._tag === "Invalid") return fail("DecodeError", `${href}: ${body.message}`, { url: href, httpStatus: raw.status })
      if (purpose === "robots") return Effect.succeed<Answer>({ _tag: "Body", status: raw.status, text: new TextDecoder().decode(body.bytes) })
      const text = decodeHtml(body.bytes, raw.contentType).text
      if (raw.mediaType === undefined && !looksLikeHtml(text)) {
        return fail("NotHtml", `${href} has no Content-Type and does not look like HTML`, { url: href, httpStatus: raw.status })
      }
      return Effect.succeed<Answer>({ _tag: "Body", status: raw.status, text })
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
    const request = (url: URL, purpose: Purpose, maxRetries: number): Effect.Effect<Answer, ScrapeError> =>
      inHostTurn(
        hostOf(url),
        Effect.gen(function* () {
          yield* guard(hostOf(url), url.href)
          const answer = yield* slots.withPermit(exchange(url, purpose).pipe(Effect.ensuring(Effect.sync(() => { const G = (globalThis as any).__T; G.lastRelease.push(performance.now()) }))))
          return answer._tag === "Raw" ? yield* decode(url, purpose, answer) : answer
        })
      ).pipe(
        Effect.retry(retrySchedule(maxRetries)),
        Effect.withSpan("Scraper.request", { attributes: { url: url.href, purpose } })
      )

    /** Follows redirects by hand, at most `maxRedirects`, checking robots.txt (pages) and the guard at each hop. */
    const follow = (
      start: URL,
      purpose: Purpose,
      options: { readonly maxRetries: number; readonly sameSiteAs?: URL | undefined }
    ): Effect.Effect<Fetched, ScrapeError> =>
      Effect.gen(function* () {
        const visited = new Set([start.href])
        let current = start
        for (let redirects = 0; ; redirects++) {
          if (purpose === "page") {
            const rules = yield* Effect.mapError(robots(current.origin), (e) => atUrl(e, current.href))
            if (!rules.isAllowed(current.href)) {
              return yield* fail("RobotsDisallowed", `robots.txt of ${current.host} disallows ${current.href} for ${settings.userAgent}`, {
                url: current.href
              })
            }
          }
          const answer = yield* request(current, purpose, options.maxRetries)
          if (answer._tag === "Body") return { url: current, status: answer.status, text: answer.text }
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
      return follow(robotsUrl, "robots", { maxRetries: settings.maxRetries }).pipe(
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
        Effect.withSpan("Scraper.robots", { attributes: { origin } })
      )
    }

    const robots = makeKeyedMemo(scope, loadRobots)

    /** The first candidate origin that can be reached; the most telling failure when none can. */
    const fetchHomepage = (domain: string) =>
      Effect.gen(function* () {
        const candidates = homepageCandidates(domain)
        const errors: Array<ScrapeError> = []
        for (const candidate of candidates) {
          const outcome = yield* Effect.either(follow(new URL(candidate), "page", { maxRetries: settings.maxRetries }))
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
        const texts = pages.map((page, index) => pageText(page.text, budget, index === 0))
        const text = combinePageTexts(texts, budget)
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
        findExtraPages(home.text, home.url.href, settings.extraPages),
        (href) =>
          Effect.option(follow(new URL(href), "page", { maxRetries: Math.min(1, settings.maxRetries), sameSiteAs: home.url })),
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

    const scrape = Effect.fn("Scraper.scrape")(
      function* (rawDomain: string) {
        const domain = normalizeDomain(rawDomain)
        if (domain === undefined) {
          return yield* fail("InvalidDomain", `'${rawDomain}' is not a host name`)
        }
        const home = yield* fetchHomepage(domain)
        const extras = settings.extraPages > 0 && settings.maxTextLength > 0 ? yield* fetchExtraPages(home) : []
        return yield* success(rawDomain, [home, ...extras])
      },
      (effect, rawDomain) =>
        effect.pipe(
          Effect.catchAll((error) => failure(rawDomain, error)),
          Effect.catchAllDefect((defect) =>
            failure(rawDomain, new ScrapeError({ reason: "Unknown", message: `unexpected failure: ${String(defect)}` }))
          )
        )
    )

    return {
      /** Never fails: a failure is a result with status failed (or skipped, for robots.txt). */
      scrape: (domain: string): Effect.Effect<ScrapeResult> => scrape(domain)
    }
  })

export class Scraper extends Effect.Service<Scraper>()("Scraper", {
  scoped: Effect.flatMap(ScraperConfig, makeScraper),
  dependencies: [HostResolver.System, SiteAddressing.Direct]
}) {}

/** A scraper on explicit settings, for tests and benches; provide HostResolver and SiteAddressing (fixtures). */
export const scraperLayer = (settings: ScraperSettings) => Layer.scoped(Scraper, Effect.map(makeScraper(settings), Scraper.make))
