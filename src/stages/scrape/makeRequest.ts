import { Effect } from "effect"
import type { FairSemaphore } from "../../process/FairSemaphore.js"
import type { HostRegistry, HostState } from "./HostRegistry.js"
import type { makeExchange } from "./makeExchange.js"
import type { PagePool } from "./PagePool.js"
import { readRobotsText } from "./readRobotsText.js"
import { ScrapeError } from "./ScrapeError.js"
import { type ScrapeRetryOptions, scrapeRetrySchedule } from "./scrapeRetrySchedule.js"
import type { Dial } from "./SiteAddressing.js"

/** What becomes of a page body: the homepage's text leads with its title, and its links are followed. */
export interface PageRole {
  readonly withHeadline: boolean
  readonly extraPages: number
}

export type Answer =
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: string }
  /** robots.txt: the file's text; a page: its extracted text and the extra pages it links to. */
  | { readonly _tag: "Body"; readonly status: number; readonly text: string; readonly links: ReadonlyArray<string> }

/**
 * One request as the scraper makes it: our turn at the host, the address guard (the name resolved before any
 * request slot is taken, so a slow or failing lookup holds none), then a global slot for the exchange itself,
 * then the body made into an answer (robots.txt as text, a page processed by the page pool); retried if
 * transient. A page has a role; robots.txt has none.
 */
export const makeRequest = (options: {
  readonly hosts: HostRegistry
  readonly dial: (url: URL) => Dial
  readonly guard: (url: URL, dial: Dial) => Effect.Effect<void, ScrapeError>
  readonly slots: FairSemaphore
  readonly exchange: ReturnType<typeof makeExchange>
  readonly pages: PagePool
  readonly maxBytes: number
  readonly maxTextLength: number
  readonly robotsMaxBytes: number
  readonly retry: Omit<ScrapeRetryOptions, "maxRetries">
}) => {
  const schedules = new Map<number, ReturnType<typeof scrapeRetrySchedule>>()
  const retrySchedule = (maxRetries: number) => {
    let schedule = schedules.get(maxRetries)
    if (!schedule) schedules.set(maxRetries, (schedule = scrapeRetrySchedule({ ...options.retry, maxRetries })))
    return schedule
  }

  const answer = (url: URL, role: PageRole | undefined, dial: Dial): Effect.Effect<Answer, ScrapeError> =>
    Effect.gen(function* () {
      yield* options.guard(url, dial)
      const raw = yield* options.slots.withPermit(options.exchange(url, dial, role === undefined ? "robots" : "page"))
      if (raw._tag === "Redirect") return raw
      const href = url.href
      if (role === undefined) {
        const text = yield* Effect.mapError(
          readRobotsText(raw.bytes, raw.contentEncoding, options.robotsMaxBytes),
          (message) => new ScrapeError({ reason: "DecodeError", message: `${href}: ${message}`, url: href, httpStatus: raw.status })
        )
        return { _tag: "Body", status: raw.status, text, links: [] } as const
      }
      const output = yield* options.pages.run({
        url: href,
        bytes: raw.bytes,
        contentType: raw.contentType,
        mediaType: raw.mediaType,
        contentEncoding: raw.contentEncoding,
        maxBytes: options.maxBytes,
        maxTextLength: options.maxTextLength,
        withHeadline: role.withHeadline,
        extraPages: role.extraPages
      })
      if (output._tag === "Unusable") {
        return yield* new ScrapeError({ reason: output.reason, message: output.message, url: href, httpStatus: raw.status })
      }
      return { _tag: "Body", status: raw.status, text: output.text, links: output.links } as const
    })

  return (state: HostState, url: URL, role: PageRole | undefined, maxRetries: number): Effect.Effect<Answer, ScrapeError> =>
    options.hosts.inTurn(state, Effect.suspend(() => answer(url, role, options.dial(url)))).pipe(
      Effect.retry(retrySchedule(maxRetries)),
      Effect.withSpan("Scraper.request", { attributes: { url: url.href, robots: role === undefined }, captureStackTrace: false })
    )
}
