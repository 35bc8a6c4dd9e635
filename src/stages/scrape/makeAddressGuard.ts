import { Effect } from "effect"
import * as net from "node:net"
import { firstBlocked } from "./addressGuard.js"
import { hostOf } from "./hostOf.js"
import type { HostResolver } from "./HostResolver.js"
import { type AddressPins, makePinnedDispatcher } from "./pinnedDispatcher.js"
import { ScrapeError } from "./ScrapeError.js"
import type { Dial } from "./SiteAddressing.js"

/**
 * The address guard and the connections it allows: a site's host is resolved, special-purpose addresses are
 * refused, and the checked ones are pinned for the socket (for the dialled host too when SCRAPER_CONNECT_TO names
 * one: its addresses are what was checked), so that what is connected to is what was checked (no DNS rebinding).
 */
export const makeAddressGuard = (options: {
  readonly resolver: HostResolver["Type"]
  readonly allowPrivateNetworks: boolean
  readonly connectTimeoutMs: number
  readonly maxResponseBytes: number
}) =>
  Effect.gen(function* () {
    const pins: AddressPins = new Map()
    // undici itself stops reading a body past SCRAPER_MAX_BYTES and drops the connection (endless bodies).
    const dispatcher = yield* makePinnedDispatcher(pins, {
      connectTimeoutMs: options.connectTimeoutMs,
      maxResponseBytes: options.maxResponseBytes
    })

    const guard = (url: URL, dial: Dial): Effect.Effect<void, ScrapeError> =>
      Effect.gen(function* () {
        const host = hostOf(url)
        const addresses = yield* Effect.mapError(
          options.resolver.resolve(host),
          (e) => new ScrapeError({ reason: e.reason, message: e.message, url: url.href, dns: e.dns })
        )
        if (!options.allowPrivateNetworks) {
          const blocked = firstBlocked(addresses)
          if (blocked) {
            return yield* new ScrapeError({
              reason: "BlockedAddress",
              message: `${host} resolves to ${blocked.address} (${blocked.range}); not connecting`,
              url: url.href
            })
          }
        }
        pins.set(host, addresses)
        const dialled = hostOf(dial.url)
        if (dialled !== host && net.isIP(dialled) === 0) pins.set(dialled, addresses)
      })

    return {
      guard,
      dispatcher,
      /** Forgets a host's checked addresses once no scrape uses it (HostRegistry's eviction). */
      unpin: (host: string) => void pins.delete(host),
      pinnedHosts: () => pins.size
    }
  })
