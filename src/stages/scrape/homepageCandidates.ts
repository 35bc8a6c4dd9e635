import * as net from "node:net"

/** Where a domain's homepage may answer, in the order tried; the next only when the previous is unreachable. */
export const homepageCandidates = (domain: string): ReadonlyArray<string> => {
  const host = net.isIP(domain) === 6 ? `[${domain}]` : domain
  const www = !domain.startsWith("www.") && net.isIP(domain) === 0
  return [`https://${host}/`, ...(www ? [`https://www.${host}/`] : []), `http://${host}/`, ...(www ? [`http://www.${host}/`] : [])]
}
