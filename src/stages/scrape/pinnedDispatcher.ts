import Undici from "@effect/platform-node/Undici"
import { Effect } from "effect"
import type * as dns from "node:dns"
import * as net from "node:net"

/** Host name (lower case) to the addresses the guard checked for it: the only ones a socket may open to. */
export type AddressPins = Map<string, ReadonlyArray<string>>

export const UNPINNED_HOST = "ERR_UNPINNED_HOST"

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | ReadonlyArray<dns.LookupAddress>, family?: number) => void

/**
 * A `lookup` for net/tls.connect that answers from the pins instead of DNS, so the addresses checked by the
 * guard are the ones connected to: a name that re-resolves elsewhere between check and connect (DNS
 * rebinding) cannot redirect the socket. A name nobody checked gets no address at all.
 */
export const pinnedLookup = (pins: AddressPins) =>
  (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    const pinned = pins.get(hostname.toLowerCase()) ?? []
    const family = options.family === 4 || options.family === 6 ? options.family : undefined
    const entries = pinned
      .map((address) => ({ address, family: net.isIP(address) }))
      .filter((entry) => entry.family !== 0 && (family === undefined || entry.family === family))
    process.nextTick(() => {
      const first = entries[0]
      if (!first) {
        const error: NodeJS.ErrnoException = new Error(`no checked address for ${hostname}`)
        error.code = UNPINNED_HOST
        callback(error, [])
      } else if (options.all) {
        callback(null, entries)
      } else {
        callback(null, first.address, first.family)
      }
    })
  }

/**
 * The undici dispatcher all scraping goes through: pinned addresses, connect timeout, short keep-alive, and
 * (when given) a cap on the bytes read per response body, past which undici drops the connection.
 */
export const makePinnedDispatcher = (
  pins: AddressPins,
  options: { readonly connectTimeoutMs: number; readonly maxResponseBytes?: number }
) =>
  Effect.acquireRelease(
    Effect.sync(
      () =>
        new Undici.Agent({
          connect: { lookup: pinnedLookup(pins) as never, timeout: options.connectTimeoutMs },
          // No per-origin connection cap: the scraper's own limits decide, and fixture servers are one origin.
          keepAliveTimeout: 4_000,
          maxResponseSize: options.maxResponseBytes ?? -1
        })
    ),
    (agent) => Effect.promise(() => agent.destroy())
  )
