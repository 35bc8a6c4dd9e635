import ipaddr from "ipaddr.js"

/**
 * The special-purpose range an address belongs to, or null for an ordinary public unicast address. An
 * allow-list (only `unicast` passes) so that ranges added to ipaddr.js later are refused, not let through.
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
export const blockedRange = (address: string): string | null => {
  if (!ipaddr.isValid(address)) return "invalid"
  const parsed = ipaddr.process(address)
  const range = parsed.range()
  return range === "unicast" ? null : `${parsed.kind()} ${range}`
}

/** The first resolved address that may not be connected to, with its range. */
export const firstBlocked = (addresses: ReadonlyArray<string>): { address: string; range: string } | undefined => {
  for (const address of addresses) {
    const range = blockedRange(address)
    if (range !== null) return { address, range }
  }
  return undefined
}
