import { getDomain } from "tldts"

const site = (hostname: string) => getDomain(hostname, { allowPrivateDomains: false }) ?? hostname

/** Same registrable domain: `www.acme.com`, `acme.com` and `shop.acme.com` are one site. */
export const sameSite = (a: URL, b: URL) => a.hostname === b.hostname || site(a.hostname) === site(b.hostname)
