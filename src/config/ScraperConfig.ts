import { Config, ConfigError, Either, Option } from "effect"
import { Resolver } from "node:dns/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as ConfigValue from "./ConfigValue.js"

export interface ConnectTo {
  readonly host: string
  readonly port: number
}

/** `HOST:PORT` (IPv6 literal in brackets); undefined when malformed. */
export const parseConnectTo = (raw: string): ConnectTo | undefined => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/?#@[\]]+)):(\d{1,5})$/.exec(raw.trim())
  if (!match) return undefined
  const host = (match[1] ?? match[2])!.toLowerCase()
  const port = Number(match[3])
  if (port < 1 || port > 65535 || (match[1] !== undefined && net.isIP(host) !== 6)) return undefined
  return { host, port }
}

/**
 * SCRAPER_CONNECT_TO=HOST:PORT, like curl's --connect-to: every site connection goes to HOST:PORT over plain
 * HTTP with the site's own Host header, and site names are not resolved. For test rigs that run the real CLI.
 */
const connectTo = Config.option(Config.string("SCRAPER_CONNECT_TO")).pipe(
  Config.mapOrFail((raw) => {
    if (Option.isNone(raw) || raw.value.trim() === "") return Either.right(null)
    const parsed = parseConnectTo(raw.value)
    return parsed
      ? Either.right(parsed)
      : Either.left(ConfigError.InvalidData([], `SCRAPER_CONNECT_TO: expected HOST:PORT, got '${raw.value}'`))
  })
)

/** SCRAPER_DNS_SERVERS=IP[:PORT],...: the name servers site names are asked of (default: the system's). */
const dnsServers = ConfigValue.list("SCRAPER_DNS_SERVERS", []).pipe(
  Config.mapOrFail((servers) => {
    try {
      if (servers.length > 0) new Resolver().setServers(servers)
      return Either.right(servers as ReadonlyArray<string>)
    } catch (cause) {
      return Either.left(
        ConfigError.InvalidData([], `SCRAPER_DNS_SERVERS: expected IP or IP:PORT ([IPv6]:PORT) separated by commas, got '${servers.join(",")}' (${(cause as Error).message})`)
      )
    }
  })
)

/** Page workers by default: one per core, at least two (one slow page never holds up the rest), at most four. */
export const defaultPageWorkers = () => Math.min(4, Math.max(2, os.availableParallelism()))

const settings = Config.all({
  timeoutSeconds: ConfigValue.number("SCRAPER_TIMEOUT", { min: 0.1, max: 600, default: 10 }),
  maxRetries: ConfigValue.integer("SCRAPER_MAX_RETRIES", { min: 0, max: 20, default: 3 }),
  userAgent: ConfigValue.nonEmptyString("SCRAPER_USER_AGENT", "CommonForge Lead Scorer/1.0"),
  maxTextLength: ConfigValue.integer("MAX_WEBSITE_TEXT_LENGTH", { min: 0, max: 1_000_000, default: 3000 }),
  concurrency: ConfigValue.integer("SCRAPER_CONCURRENCY", { min: 1, max: 1000, default: 10 }),
  allowPrivateNetworks: ConfigValue.boolean("SCRAPER_ALLOW_PRIVATE_NETWORKS", false),
  maxBytes: ConfigValue.integer("SCRAPER_MAX_BYTES", { min: 1024, max: 1_000_000_000, default: 2_000_000 }),
  extraPages: ConfigValue.integer("SCRAPER_EXTRA_PAGES", { min: 0, max: 10, default: 2 }),
  maxAgeDays: ConfigValue.number("SCRAPE_MAX_AGE", { min: 0, max: 3650, default: 7 }),
  connectTo,
  dnsServers,
  dnsConcurrency: ConfigValue.optionalInteger("SCRAPER_DNS_CONCURRENCY", { min: 1, max: 1000 }),
  dnsTimeoutSeconds: ConfigValue.number("SCRAPER_DNS_TIMEOUT", { min: 0.1, max: 60, default: 5 }),
  pageWorkers: ConfigValue.optionalInteger("SCRAPER_PAGE_WORKERS", { min: 1, max: 64 }),
  pageBudgetMs: ConfigValue.integer("SCRAPER_PAGE_BUDGET_MS", { min: 10, max: 600_000, default: 2000 })
})

/** The scraper's settings; SCRAPER_DNS_CONCURRENCY defaults to SCRAPER_CONCURRENCY (a lookup per request slot). */
export const ScraperConfig = Config.map(settings, (s) => ({
  ...s,
  dnsConcurrency: Option.getOrElse(s.dnsConcurrency, () => s.concurrency),
  pageWorkers: Option.getOrElse(s.pageWorkers, defaultPageWorkers)
}))

export type ScraperSettings = Config.Config.Success<typeof ScraperConfig>
