import { Context, Layer } from "effect"

export interface Dial {
  /** What the socket is opened to; its path and query are the request's. */
  readonly url: URL
  /** Sent as Host when the dialled URL's host is not the site's own (fixture servers). */
  readonly hostHeader: string | undefined
}

/**
 * How a site's URL turns into a connection. Production dials the URL itself (through the pinned, already
 * checked addresses); tests dial one local fixture server that tells sites apart by their Host header.
 */
export class SiteAddressing extends Context.Tag("SiteAddressing")<
  SiteAddressing,
  { readonly dial: (url: URL) => Dial }
>() {
  static readonly Direct = Layer.succeed(SiteAddressing, { dial: (url) => ({ url, hostHeader: undefined }) })
}
