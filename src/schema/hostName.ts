import * as net from "node:net"

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
const isDigit = (c: number) => c >= 48 && c <= 57
const HYPHEN = 45
const DOT = 46

/**
 * Whether `host` (without a trailing dot) is labels of 1–63 letters, digits and inner hyphens. With `plain`, also
 * what the URL parser would only lowercase: no punycode label (the parser checks those) and a last label starting
 * with a letter (so no IPv4 form, which the parser would rewrite). A loop, not a regex: it runs for every row.
 */
export const checkLabels = (host: string, plain: boolean): boolean => {
  const length = host.length
  if (length === 0 || length > 253) return false
  let labelStart = 0
  for (let i = 0; i <= length; i++) {
    const c = i === length ? DOT : host.charCodeAt(i)
    if (c === DOT) {
      const labelLength = i - labelStart
      if (labelLength === 0 || labelLength > 63 || host.charCodeAt(i - 1) === HYPHEN) return false
      if (plain && labelLength >= 4 && host.charCodeAt(labelStart + 2) === HYPHEN && host.charCodeAt(labelStart + 3) === HYPHEN) {
        const x = host.charCodeAt(labelStart) | 32
        const n = host.charCodeAt(labelStart + 1) | 32
        if (x === 120 && n === 110) return false
      }
      labelStart = i + 1
    } else if (c === HYPHEN) {
      if (i === labelStart) return false
    } else if (!isLetter(c) && !isDigit(c)) {
      return false
    }
  }
  if (plain) {
    const last = host.lastIndexOf(".") + 1
    if (!isLetter(host.charCodeAt(last))) return false
  }
  return true
}

export const withoutTrailingDot = (host: string) => (host.endsWith(".") ? host.slice(0, -1) : host)

/**
 * A bare host name as DNS and the address pins know it (lowercase, punycode, no trailing dot), or an IP literal;
 * undefined for anything else (a URL, a path, a port, credentials, spaces). The syntax half of the clean stage's
 * normalizeDomain, without its public-suffix rule, so that any host a redirect or a test rig names is accepted.
 */
export const hostName = (raw: string): string | undefined => {
  const trimmed = withoutTrailingDot(raw.trim())
  if (checkLabels(trimmed, true)) return trimmed.toLowerCase()
  if (net.isIP(trimmed) !== 0) return trimmed.toLowerCase()
  if (trimmed === "" || /[/:@?#%\\\s]/.test(trimmed)) return undefined
  let host: string
  try {
    host = new URL(`https://${trimmed}/`).hostname
  } catch {
    return undefined
  }
  if (net.isIPv4(host)) return host
  const bare = withoutTrailingDot(host)
  return checkLabels(bare, false) ? bare : undefined
}
