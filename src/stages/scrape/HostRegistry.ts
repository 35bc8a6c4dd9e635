import { Clock, Duration, Effect, type Scope } from "effect"
import { type FairSemaphore, makeFairSemaphore } from "../../process/FairSemaphore.js"
import { type KeyedMemo, makeKeyedMemo } from "./makeKeyedMemo.js"
import type { RobotsRules } from "./RobotsRules.js"
import type { ScrapeError } from "./ScrapeError.js"

/** What the scraper keeps about one host while companies that use it are being scraped. */
export interface HostState {
  readonly host: string
  /** One request at a time; FIFO, and no stampede when many domains end up on one host (one platform). */
  readonly turn: FairSemaphore
  lastDoneAt: number
  crawlDelayMs: number
  /** robots.txt by origin (scheme and port) on this host, fetched once while the host is in use. */
  robots: KeyedMemo<RobotsRules, ScrapeError> | undefined
  leases: number
  evictTimer: ReturnType<typeof setTimeout> | undefined
}

/**
 * Per-host state (turns, Crawl-delay, robots.txt rules) held by leases: every scrape leases the hosts it touches
 * for as long as it runs, and a host nobody leases is forgotten (after its Crawl-delay has run out), together with
 * what `onEvict` keeps about it (pinned addresses). Memory follows the companies in flight, not the companies seen.
 */
export const makeHostRegistry = (options: {
  readonly loadRobots: (state: HostState, origin: string) => Effect.Effect<RobotsRules, ScrapeError>
  readonly onEvict: (host: string) => void
}) => {
  const hosts = new Map<string, HostState>()

  const evict = (state: HostState) => {
    state.evictTimer = undefined
    if (state.leases > 0 || hosts.get(state.host) !== state) return
    hosts.delete(state.host)
    options.onEvict(state.host)
  }

  const acquire = (host: string) =>
    Effect.sync(() => {
      let state = hosts.get(host)
      if (!state) {
        state = {
          host,
          turn: Effect.runSync(makeFairSemaphore(1)),
          lastDoneAt: 0,
          crawlDelayMs: 0,
          robots: undefined,
          leases: 0,
          evictTimer: undefined
        }
        hosts.set(host, state)
      }
      if (state.evictTimer !== undefined) {
        clearTimeout(state.evictTimer)
        state.evictTimer = undefined
      }
      state.leases++
      return state
    })

  const release = (state: HostState) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        if (--state.leases > 0) return
        // A Crawl-delay still running is kept, so that the next company on this host waits it out too.
        const wait = state.crawlDelayMs > 0 ? state.lastDoneAt + state.crawlDelayMs - now : 0
        if (wait <= 0) return evict(state)
        state.evictTimer = setTimeout(() => evict(state), wait)
        state.evictTimer.unref?.()
      })
    )

  /** The host's state for as long as the scope lasts. */
  const lease = (host: string): Effect.Effect<HostState, never, Scope.Scope> => Effect.acquireRelease(acquire(host), release)

  /** One request at a time per host, Crawl-delay apart. */
  const inTurn = <A, E, R>(state: HostState, effect: Effect.Effect<A, E, R>) =>
    state.turn.withPermit(
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

  /** robots.txt rules of `origin`, whose host is `state`'s. */
  const robots = (state: HostState, origin: string) => {
    state.robots ??= makeKeyedMemo((key) => options.loadRobots(state, key))
    return state.robots(origin)
  }

  const slowDown = (state: HostState, delayMs: number) => {
    state.crawlDelayMs = Math.max(state.crawlDelayMs, delayMs)
  }

  return {
    lease,
    inTurn,
    robots,
    slowDown,
    /** Hosts held: leased, or waiting out a Crawl-delay. */
    size: () => hosts.size
  }
}

export type HostRegistry = ReturnType<typeof makeHostRegistry>
