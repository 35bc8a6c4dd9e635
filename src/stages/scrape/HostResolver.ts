import { Context, Effect, Layer } from "effect"
import * as dns from "node:dns/promises"
import * as net from "node:net"
import type { ConnectTo } from "../../config/ScraperConfig.js"
import { type DnsResolverOptions, makeDnsResolver } from "./makeDnsResolver.js"
import { makeKeyedMemo } from "./makeKeyedMemo.js"
import { ScrapeError } from "./ScrapeError.js"

const notFound = new Set(["ENOTFOUND", "ENODATA", "EAI_NONAME", "EAI_NODATA", "EAI_FAIL", "EAI_AGAIN", "ESERVFAIL"])

class ResolveTimeout extends Error {}

/** getaddrinfo cannot be cancelled: past the deadline the answer is simply no longer waited for. */
const lookupWithin = (host: string, timeoutMs: number) => {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    dns.lookup(host, { all: true, verbatim: true }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ResolveTimeout()), timeoutMs)
    })
  ]).finally(() => clearTimeout(timer))
}

/**
 * The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address of every family, within
 * `timeoutMs`; an IP literal is itself, at once. It runs on libuv's thread pool, so only for one name at a time.
 */
export const systemLookup = (host: string, timeoutMs: number): Effect.Effect<ReadonlyArray<string>, ScrapeError> =>
  net.isIP(host)
    ? Effect.succeed([host])
    : Effect.tryPromise({
        try: () => lookupWithin(host, timeoutMs),
        catch: (cause) => {
          if (cause instanceof ResolveTimeout) {
            return new ScrapeError({ reason: "Timeout", message: `resolving ${host} took longer than ${timeoutMs / 1000} s`, dns: "TIMEOUT" })
          }
          const code = (cause as { code?: string }).code ?? ""
          return new ScrapeError({
            reason: "DnsFailure",
            message: notFound.has(code) ? `${host} does not resolve (${code})` : `cannot resolve ${host}: ${String(cause)}`
          })
        }
      }).pipe(
        Effect.flatMap((entries) =>
          entries.length === 0
            ? Effect.fail(new ScrapeError({ reason: "DnsFailure", message: `${host} has no address` }))
            : Effect.succeed(entries.map((e) => e.address))
        )
      )

/**
 * Host name to the IP addresses a connection to it would reach: what the address guard checks. Tests replace
 * it so fake names resolve to the fixture server (or anywhere). A resolver keeps its own deadline and cache.
 */
export class HostResolver extends Context.Tag("HostResolver")<
  HostResolver,
  { readonly resolve: (host: string) => Effect.Effect<ReadonlyArray<string>, ScrapeError> }
>() {
  /** DNS on the event loop (c-ares), bounded, with a deadline and a cache for the run (makeDnsResolver). */
  static readonly Dns = (options: DnsResolverOptions) =>
    Layer.scoped(HostResolver, Effect.map(makeDnsResolver(options), (dns) => ({ resolve: dns.resolve })))

  /** SCRAPER_CONNECT_TO: every site is reached at the target, so every name "resolves" to the target's addresses. */
  static readonly ConnectTo = (target: ConnectTo, timeoutMs: number) =>
    Layer.sync(HostResolver, () => {
      const targetAddresses = makeKeyedMemo(
        (host) =>
          Effect.mapError(systemLookup(host, timeoutMs), (e) => new ScrapeError({ reason: e.reason, message: `SCRAPER_CONNECT_TO: ${e.message}`, dns: e.dns })),
        { ttlMs: 60_000 }
      )
      return { resolve: () => targetAddresses(target.host) }
    })
}
