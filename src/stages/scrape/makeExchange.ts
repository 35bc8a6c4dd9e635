import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type Undici from "@effect/platform-node/Undici"
import { Clock, Effect, Exit, Scope, Stream } from "effect"
import { classifyTransportError } from "./classifyTransportError.js"
import { ScrapeError } from "./ScrapeError.js"
import { parseRetryAfter } from "./scrapeRetrySchedule.js"
import type { Dial } from "./SiteAddressing.js"

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"])

export type Purpose = "robots" | "page"

export type Exchanged =
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: string }
  | {
    readonly _tag: "Raw"
    readonly status: number
    /** The body as sent (robots.txt: its first bytes only). */
    readonly bytes: Uint8Array
    readonly contentType: string | undefined
    readonly mediaType: string | undefined
    readonly contentEncoding: string | undefined
  }

export const tooLargeError = (url: string, maxBytes: number, status: number) =>
  new ScrapeError({ reason: "TooLarge", message: `${url} is larger than ${maxBytes} bytes`, url, httpStatus: status })

/**
 * The first `limit` bytes of a body. A body the dispatcher cuts off (SCRAPER_MAX_BYTES) after some bytes came
 * yields those: robots.txt is read by its beginning, whatever its size.
 */
const readPrefix = (response: HttpClientResponse.HttpClientResponse, limit: number, href: string) =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    const collected = () => {
      const out = new Uint8Array(Math.min(size, limit))
      let at = 0
      for (const chunk of chunks) {
        if (at >= out.length) break
        const part = chunk.subarray(0, out.length - at)
        out.set(part, at)
        at += part.length
      }
      return out
    }
    return response.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          chunks.push(chunk)
          size += chunk.length
          return size < limit
        })
      ),
      Effect.map(collected),
      Effect.catchAll((e) => {
        const error = classifyTransportError(e, href)
        return error.reason === "TooLarge" && size > 0 ? Effect.succeed(collected()) : Effect.fail(error)
      })
    )
  })

/**
 * One HTTP exchange, no retry, no redirect followed: the answer's status and, unless it redirects or fails, its
 * raw body (a page at most SCRAPER_MAX_BYTES, its type checked before reading; robots.txt its first
 * `robotsMaxBytes`). The request runs in a scope of its own that SCRAPER_TIMEOUT closes if it is still running:
 * closing it aborts the request (HttpClient.withScope), which then fails as a Timeout. A timer, where
 * Effect.timeout would race two fibers per request.
 */
export const makeExchange = (options: {
  readonly dispatcher: Undici.Dispatcher
  readonly userAgent: string
  readonly timeoutMs: number
  readonly maxBytes: number
  readonly robotsMaxBytes: number
}) => {
  const client = NodeHttpClient.makeUndici(options.dispatcher).pipe(
    HttpClient.mapRequest(
      HttpClientRequest.setHeaders({
        "user-agent": options.userAgent,
        accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        "accept-language": "en;q=1.0,*;q=0.5",
        "accept-encoding": "gzip, deflate, br"
      })
    ),
    HttpClient.withScope,
    // One span per request is ours (Scraper.request, with the logical URL); the client's would repeat it.
    HttpClient.withTracerDisabledWhen(() => true)
  )

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
            }, options.timeoutMs)
            return effect.pipe(
              Scope.extend(requestScope),
              Effect.catchAllCause((cause) => (expired ? Effect.fail(onTimeout()) : Effect.failCause(cause))),
              Effect.ensuring(Effect.sync(() => clearTimeout(timer)))
            )
          }),
        (requestScope, exit) => Scope.close(requestScope, exit)
      )

  const exchange = (url: URL, dial: Dial, purpose: Purpose): Effect.Effect<Exchanged, ScrapeError> => {
    const href = url.href
    const maxBytes = options.maxBytes
    return Effect.gen(function* () {
      const get = HttpClientRequest.get(dial.url)
      const request = dial.hostHeader === undefined ? get : HttpClientRequest.setHeader(get, "host", dial.hostHeader)
      const response = yield* Effect.mapError(client.execute(request), (e) => classifyTransportError(e, href))
      const { status, headers } = response
      const location = headers["location"]?.trim()
      if (REDIRECTS.has(status) || (status === 300 && location)) {
        if (!location) {
          return yield* new ScrapeError({ reason: "HttpStatus", message: `${href} answered ${status} without a Location`, url: href, httpStatus: status })
        }
        return { _tag: "Redirect", status, location } as const
      }
      if (status < 200 || status >= 300) {
        const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers["retry-after"], yield* Clock.currentTimeMillis) : undefined
        return yield* new ScrapeError({ reason: "HttpStatus", message: `${href} answered HTTP ${status}`, url: href, httpStatus: status, retryAfterMs })
      }
      const contentType = headers["content-type"]
      const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() || undefined
      const contentEncoding = headers["content-encoding"]
      if (purpose === "robots") {
        const length = Number(headers["content-length"])
        // Most robots.txt say their length and are small: read whole, without a stream's machinery.
        const bytes = length >= 0 && length <= options.robotsMaxBytes && length <= maxBytes
          ? new Uint8Array(yield* Effect.mapError(response.arrayBuffer, (e) => classifyTransportError(e, href)))
          : yield* readPrefix(response, options.robotsMaxBytes, href)
        return { _tag: "Raw", status, bytes, contentType, mediaType, contentEncoding } as const
      }
      if (mediaType !== undefined && !HTML_TYPES.has(mediaType)) {
        return yield* new ScrapeError({ reason: "NotHtml", message: `${href} is ${mediaType}, not HTML`, url: href, httpStatus: status })
      }
      if (Number(headers["content-length"]) > maxBytes) return yield* tooLargeError(href, maxBytes, status)
      const body = yield* Effect.mapError(response.arrayBuffer, (e) => {
        const error = classifyTransportError(e, href)
        return error.reason === "TooLarge"
          ? tooLargeError(href, maxBytes, status)
          : new ScrapeError({ reason: error.reason, message: error.message, url: href, httpStatus: status })
      })
      return { _tag: "Raw", status, bytes: new Uint8Array(body), contentType, mediaType, contentEncoding } as const
    }).pipe(
      withDeadline(() => new ScrapeError({ reason: "Timeout", message: `${href} did not answer within ${options.timeoutMs / 1000} s`, url: href }))
    )
  }

  return exchange
}
