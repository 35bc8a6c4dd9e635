import { Either } from "effect"
import * as net from "node:net"
import { parse } from "tldts"
import { type PlatformMatch, platformRules } from "./PlatformRules.js"
import type { FieldRejection } from "./RejectReason.js"

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i
const URL_WITH_PLAIN_AUTHORITY = /^https?:\/\/([^/?#:@[\]\\\s]+)(?::(\d{0,5}))?(?=[/?#]|$)/i
const PSL_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  mixedInputs: false,
  validateHostname: false,
  detectIp: false
} as const

const quoted = (input: string) => JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input)

const rejection = (reason: FieldRejection["reason"], message: string): FieldRejection => ({ reason, message })

const ipAddress = (input: string) => rejection("IpAddress", `domain ${quoted(input)} is an IP address, not a domain name`)

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
const isDigit = (c: number) => c >= 48 && c <= 57
const HYPHEN = 45
const DOT = 46

/**
 * Whether `host` (without a trailing dot) is labels of 1–63 letters, digits and inner hyphens. With `plain`, also
 * what the URL parser would only lowercase: no punycode label (the parser checks those) and a last label starting
 * with a letter (so no IPv4 form, which the parser would rewrite). A loop, not a regex: it runs for every row.
 */
const checkLabels = (host: string, plain: boolean): boolean => {
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

const withoutTrailingDot = (host: string) => (host.endsWith(".") ? host.slice(0, -1) : host)

/**
 * The path of the URL hostOf last read ("" for a bare host name): what tells a platform profile from the platform's
 * own site. A module variable rather than a returned pair: hostOf runs for every row, and most rows need no path.
 */
let lastPath = ""

const pathOf = (rest: string): string => {
  const end = rest.search(/[?#]/)
  return end === -1 ? rest : rest.slice(0, end)
}

/** The host of what was pasted (lowercase, punycode, no trailing dot), its path in lastPath; the URL parser only when needed. */
const hostOf = (trimmed: string): string | FieldRejection => {
  lastPath = ""
  const bare = withoutTrailingDot(trimmed)
  if (checkLabels(bare, true)) return bare.toLowerCase()
  // `https://Acme.com:8080/about`: an http(s) URL whose host is plain needs no URL object either.
  const authority = URL_WITH_PLAIN_AUTHORITY.exec(trimmed)
  if (authority !== null && Number(authority[2] ?? 0) <= 65_535) {
    const host = withoutTrailingDot(authority[1]!)
    if (checkLabels(host, true)) {
      lastPath = pathOf(trimmed.slice(authority[0].length))
      return host.toLowerCase()
    }
  }
  if (/\s/.test(trimmed)) return rejection("InvalidDomain", `domain ${quoted(trimmed)} contains whitespace`)
  const candidate = SCHEME.test(trimmed) ? trimmed : trimmed.startsWith("//") ? `http:${trimmed}` : `http://${trimmed}`
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    if (net.isIP(trimmed) !== 0) return ipAddress(trimmed)
    return rejection("InvalidDomain", `domain ${quoted(trimmed)} is not a host name or URL`)
  }
  const host = url.hostname
  if (host === "") return rejection("InvalidDomain", `domain ${quoted(trimmed)} has no host name`)
  if (host.startsWith("[") || net.isIPv4(host)) return ipAddress(trimmed)
  const bareHost = withoutTrailingDot(host)
  if (!checkLabels(bareHost, false)) return rejection("InvalidDomain", `domain ${quoted(trimmed)} is not a valid host name`)
  lastPath = url.pathname
  return bareHost
}

const platformUrl = (input: string, platform: PlatformMatch): FieldRejection =>
  rejection(
    "PlatformUrl",
    `domain ${quoted(input)} is a link on ${platform.name} (${platform.kind}), not the company's own website`
  )

const withoutWww = (host: string) => (host.startsWith("www.") ? host.slice(4) : host)

/** normalizeDomain's result as a plain union, for the per-row path where an Either per field adds up. */
export const domainOrRejection = (input: string): string | FieldRejection => {
  const trimmed = input.trim()
  if (trimmed === "") return rejection("EmptyDomain", "domain is empty")
  const host = hostOf(trimmed)
  if (typeof host !== "string") return host
  const path = lastPath
  const parsed = parse(host, PSL_OPTIONS)
  if (parsed.domain === null || !(parsed.isIcann || parsed.isPrivate)) {
    return rejection(
      "NonPublicDomain",
      parsed.isIcann || parsed.isPrivate
        ? `domain ${quoted(trimmed)} is not a company domain (${host} is itself a public suffix)`
        : `domain ${quoted(trimmed)} is not a public domain name (${host} is a local name or not under a known public suffix)`
    )
  }
  if (!platformRules.concerns(parsed.domain)) return parsed.domain
  const onPlatform = platformRules.hostPlatform(host)
  if (onPlatform !== undefined) return platformUrl(trimmed, onPlatform)
  // A site builder the Public Suffix List does not list: its tenant's own subdomain is the company's identity,
  // as it is under the private suffixes the list does have (acme.github.io).
  if (platformRules.isHostingSuffix(parsed.domain)) {
    const tenant = withoutWww(host)
    if (tenant !== parsed.domain) {
      const label = tenant.slice(0, tenant.length - parsed.domain.length - 1)
      return `${label.slice(label.lastIndexOf(".") + 1)}.${parsed.domain}`
    }
  }
  const profile = platformRules.pathPlatform(parsed.domain, path)
  if (profile !== undefined) return platformUrl(trimmed, profile)
  // The registrable name is the company's identity: shop.acme.com and www.acme.com are acme.com. Taking it
  // from the public-suffix split drops `www` only as a label (`awww.io` stays).
  return parsed.domain
}

/**
 * What people paste in a domain column (a bare name, a URL with scheme, port, path or query, upper case, a trailing
 * dot, an internationalized name, even an address like info@acme.com) reduced to the lowercase registrable name
 * the company is known by: punycode for IDNs, subdomains such as `www.` or `shop.` dropped as whole labels
 * (`awww.io` stays). The host must sit under a public suffix (private
 * suffixes such as github.io count, so two sites there stay two companies); IP addresses, `localhost` and other
 * local names, bare public suffixes and malformed input are rejected with the reason. A link on a shared platform
 * (data/platforms.json: an app store page, a social profile, a short link, a directory listing) is rejected as
 * PlatformUrl naming the platform; the platform's bare domain (apple.com, facebook.com) stays a company domain.
 */
export const normalizeDomain = (input: string): Either.Either<string, FieldRejection> => {
  const result = domainOrRejection(input)
  return typeof result === "string" ? Either.right(result) : Either.left(result)
}
