import * as net from "node:net"

/** A URL's host as DNS and the address pins know it: IPv6 literals lose their brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1")

/** The domain as a host name, or undefined when it is not one (a path, a port, credentials, spaces). */
export const normalizeDomain = (raw: string): string | undefined => {
  const domain = raw.trim().toLowerCase().replace(/\.$/, "")
  if (domain === "" || /[/:@?#\s\\]/.test(domain) && net.isIP(domain) !== 6) return undefined
  try {
    const host = hostOf(new URL(`https://${net.isIP(domain) === 6 ? `[${domain}]` : domain}/`))
    return host === "" ? undefined : host
  } catch {
    return undefined
  }
}

/** Where a domain's homepage may answer, in the order tried; the next only when the previous is unreachable. */
export const homepageCandidates = (domain: string): ReadonlyArray<string> => {
  const host = net.isIP(domain) === 6 ? `[${domain}]` : domain
  const www = !domain.startsWith("www.") && net.isIP(domain) === 0
  return [`https://${host}/`, ...(www ? [`https://www.${host}/`] : []), `http://${host}/`, ...(www ? [`http://www.${host}/`] : [])]
}

