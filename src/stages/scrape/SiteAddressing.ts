import { Context, Layer } from "effect"
import * as net from "node:net"
import type { ConnectTo } from "../../config/ScraperConfig.js"

/** `origin` with the path and query of `url` (set, not resolved: a path starting `//` must not become a host). */
export const withPathOf = (origin: string, url: URL) => {
  const dialled = new URL(origin)
  dialled.pathname = url.pathname
  dialled.search = url.search
  return dialled
}

export interface Dial {
  /** What the socket is opened to; its path and query are the request's. */
  readonly url: URL
  /** Sent as Host when the dialled URL's host is not the site's own (fixture servers, SCRAPER_CONNECT_TO). */
  readonly hostHeader: string | undefined
}

/**
 * How a site's URL turns into a connection. Production dials the URL itself (through the pinned, already
 * checked addresses); SCRAPER_CONNECT_TO and the test fixtures dial one server that tells sites apart by the
 * Host header.
 */
export class SiteAddressing extends Context.Tag("SiteAddressing")<
  SiteAddressing,
  { readonly dial: (url: URL) => Dial }
>() {
  static readonly Direct = Layer.succeed(SiteAddressing, { dial: (url) => ({ url, hostHeader: undefined }) })

  /** Every scheme and host to `http://HOST:PORT`, keeping the path, query and the site's Host header. */
  static readonly ConnectTo = (target: ConnectTo) => {
    const origin = `http://${net.isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`
    return Layer.succeed(SiteAddressing, {
      dial: (url) => ({ url: withPathOf(origin, url), hostHeader: url.host })
    })
  }
}
