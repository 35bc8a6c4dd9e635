import { Duration, Effect, Exit } from "effect"
import { Resolver } from "node:dns/promises"
import * as net from "node:net"
import { makeFairSemaphore } from "../../process/FairSemaphore.js"
import { makeKeyedMemo } from "./makeKeyedMemo.js"
import { type DnsOutcome, ScrapeError } from "./ScrapeError.js"

export interface DnsResolverOptions {
  /** `IP` or `IP:PORT` (`[IPv6]:PORT`); empty: the system's name servers (/etc/resolv.conf). */
  readonly servers: ReadonlyArray<string>
  /** Lookups in flight at once, whatever the number of requests waiting on them. */
  readonly concurrency: number
  readonly timeoutMs: number
  /** The longest an answer is reused (its records' TTL when shorter, but at least a second). */
  readonly maxTtlMs: number
  /** How long a definite "no" (NXDOMAIN, NODATA, SERVFAIL) is reused; timeouts are not kept. */
  readonly negativeTtlMs: number
}

interface Resolved {
  readonly addresses: ReadonlyArray<string>
  readonly ttlMs: number
}

type Family = PromiseSettledResult<ReadonlyArray<{ readonly address: string; readonly ttl: number }>>

const codeOf = (result: Family) => (result.status === "rejected" ? String((result.reason as { code?: string }).code ?? "") : "")

const outcomeOf = (codes: ReadonlyArray<string>): DnsOutcome => {
  if (codes.includes("ETIMEOUT")) return "TIMEOUT"
  if (codes.includes("ENOTFOUND")) return "NXDOMAIN"
  if (codes.includes("ESERVFAIL")) return "SERVFAIL"
  if (codes.every((code) => code === "ENODATA")) return "NODATA"
  return "OTHER"
}

const failure = (host: string, results: ReadonlyArray<Family>, timeoutMs: number): ScrapeError => {
  const codes = results.map(codeOf)
  const dns = outcomeOf(codes)
  switch (dns) {
    case "TIMEOUT":
      return new ScrapeError({ reason: "Timeout", message: `resolving ${host} took longer than ${timeoutMs / 1000} s`, dns })
    case "NXDOMAIN":
      return new ScrapeError({ reason: "DnsFailure", message: `${host} does not exist (NXDOMAIN)`, dns })
    case "NODATA":
      return new ScrapeError({ reason: "DnsFailure", message: `${host} has no address (NODATA)`, dns })
    case "SERVFAIL":
      return new ScrapeError({ reason: "DnsFailure", message: `${host} does not resolve: its name servers fail (SERVFAIL)`, dns })
    case "OTHER": {
      const reasons = results.map((r) => (r.status === "rejected" ? String((r.reason as Error).message ?? r.reason) : "")).filter((m) => m !== "")
      return new ScrapeError({ reason: "DnsFailure", message: `cannot resolve ${host}: ${[...new Set(reasons)].join("; ")}`, dns })
    }
  }
}

/**
 * Name resolution by c-ares (dns.promises.Resolver, A and AAAA at once) on the event loop, not getaddrinfo on
 * libuv's four-thread pool, where a slow name server made every lookup, and so every request slot, wait in line.
 * Bounded by its own permits and a deadline per lookup, and cached for the run: answers for their TTL (capped),
 * definite failures for `negativeTtlMs`, concurrent lookups of one name shared. /etc/hosts is not read: site
 * names are public names (SCRAPER_CONNECT_TO's target, which may be `localhost`, is resolved by the system).
 */
export const makeDnsResolver = (options: DnsResolverOptions) =>
  Effect.gen(function* () {
    const resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 })
    if (options.servers.length > 0) resolver.setServers([...options.servers])
    yield* Effect.addFinalizer(() => Effect.sync(() => resolver.cancel()))
    const permits = yield* makeFairSemaphore(options.concurrency)

    const query = (host: string) =>
      Effect.promise(
        (): Promise<ReadonlyArray<Family>> =>
          Promise.allSettled([resolver.resolve4(host, { ttl: true }), resolver.resolve6(host, { ttl: true })])
      ).pipe(
        // c-ares keeps its own per-try deadline; this one holds whatever the number of servers it tries.
        Effect.timeoutTo({
          duration: Duration.millis(options.timeoutMs),
          onSuccess: (results) => results,
          onTimeout: (): ReadonlyArray<Family> => [
            { status: "rejected", reason: { code: "ETIMEOUT" } },
            { status: "rejected", reason: { code: "ETIMEOUT" } }
          ]
        })
      )

    const lookup = (host: string): Effect.Effect<Resolved, ScrapeError> =>
      Effect.flatMap(permits.withPermit(query(host)), (results) => {
        const records = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []))
        if (records.length === 0) return Effect.fail(failure(host, results, options.timeoutMs))
        const ttlMs = Math.min(options.maxTtlMs, Math.max(1000, Math.min(...records.map((r) => r.ttl * 1000))))
        return Effect.succeed({ addresses: records.map((r) => r.address), ttlMs })
      })

    const cached = makeKeyedMemo(lookup, {
      ttlMs: (exit) =>
        Exit.isSuccess(exit)
          ? exit.value.ttlMs
          : Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.dns !== "TIMEOUT"
          ? options.negativeTtlMs
          : 0
    })

    return {
      resolve: (host: string): Effect.Effect<ReadonlyArray<string>, ScrapeError> =>
        net.isIP(host) !== 0 ? Effect.succeed([host]) : Effect.map(cached(host), (r) => r.addresses),
      /** Names held in the cache (answers and failures within their TTL, lookups in flight). */
      cachedNames: cached.size
    }
  })
