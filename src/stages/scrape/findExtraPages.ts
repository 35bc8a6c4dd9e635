import { decodeHTML, decodeHTMLAttribute } from "entities/decode"
import { sameSite } from "./sameSite.js"

/** What each kind of page is called in paths and link texts; earlier kinds are worth more to a lead profile. */
const kinds: ReadonlyArray<RegExp> = [
  /^(about|about-?us|company|who-?we-?are|our-?story|mission|ueber-?uns|uber-?uns|a-?propos|quienes-?somos|chi-?siamo|over-?ons)$/,
  /^(products?|platform|solutions?|features|services|what-?we-?do|how-?it-?works|technology|offerings?)$/,
  /^(pricing|plans|prices)$/,
  /^(customers|clients|case-?studies|success-?stories|industries|use-?cases|references)$/
]

const textKinds: ReadonlyArray<RegExp> = [
  /^(about|about us|company|who we are|our story|our mission)$/,
  /^(products?|platform|solutions?|features|services|what we do|how it works)$/,
  /^(pricing|plans)$/,
  /^(customers|clients|case studies|success stories|industries|use cases)$/
]

const skippedExtension = /\.(pdf|jpe?g|png|gif|svg|webp|zip|gz|xml|json|txt|csv|mp4|mp3|docx?|xlsx?|pptx?)$/i


const kindOf = (url: URL, text: string): number | undefined => {
  const segments = url.pathname.toLowerCase().split("/").filter((s) => s !== "")
  // Deep paths are articles and sub-pages, not the company's overview.
  if (segments.length > 3) return undefined
  for (const [index, pattern] of kinds.entries()) {
    if (segments.some((s) => pattern.test(s.replace(/\.html?$/, "")))) return index
  }
  const label = text.replace(/\s+/g, " ").trim().toLowerCase()
  const byText = textKinds.findIndex((pattern) => pattern.test(label))
  return byText >= 0 ? byText : undefined
}

const samePage = (a: URL, b: URL) =>
  a.host === b.host && a.search === b.search && a.pathname.replace(/\/+$/, "") === b.pathname.replace(/\/+$/, "")

// Where a link may start, and what holds none worth following (or text that only looks like markup).
const TOKENS = /<!--|<(script|style|template|textarea|svg)\b|<(a|base)\b|<\/a\s*>/gi
const COMMENT_END = /-->/g
const SKIPPED_END: Record<string, RegExp> = Object.fromEntries(
  ["script", "style", "template", "textarea", "svg"].map((name) => [name, new RegExp(`</${name}\\b`, "gi")])
)
const ATTRIBUTES = /((?:[^>"']|"[^"]*"|'[^']*')*)>/y
const HREF = /(?:^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i

/**
 * The document's `<base href>` (the first) and its links with their texts, in document order. One forward scan
 * over the tags (a full parse costs several times more and finds the same links); comments, scripts and the
 * like are jumped over, and an unclosed one ends the scan, so no input makes it quadratic.
 */
export const linksOf = (html: string) => {
  const links: Array<{ href: string; text: string }> = []
  let baseHref: string | undefined
  let open: { href: string; textFrom: number } | undefined
  const close = (textTo: number) => {
    if (!open) return
    const text = decodeHTML(html.slice(open.textFrom, textTo).replace(/<[^>]*>/g, " "))
    links.push({ href: open.href, text })
    open = undefined
  }
  TOKENS.lastIndex = 0
  for (let match = TOKENS.exec(html); match !== null; match = TOKENS.exec(html)) {
    const [token, skipped, linkTag] = match
    const at = match.index
    if (token === "<!--" || skipped !== undefined) {
      const closer = token === "<!--" ? COMMENT_END : SKIPPED_END[skipped!.toLowerCase()]!
      closer.lastIndex = at + token.length
      if (closer.exec(html) === null) {
        close(at)
        return { baseHref, links }
      }
      TOKENS.lastIndex = closer.lastIndex
      continue
    }
    close(at)
    if (linkTag === undefined) continue
    ATTRIBUTES.lastIndex = at + token.length
    const attributes = ATTRIBUTES.exec(html)
    const tagEnd = attributes ? ATTRIBUTES.lastIndex : html.indexOf(">", at) + 1
    if (tagEnd <= 0) break
    TOKENS.lastIndex = tagEnd
    const found = HREF.exec(attributes?.[1] ?? html.slice(at + token.length, tagEnd - 1))
    if (!found) continue
    const href = decodeHTMLAttribute(found[1] ?? found[2] ?? found[3] ?? "")
    if (linkTag.toLowerCase() === "a") open = { href, textFrom: tagEnd }
    else baseHref ??= href
  }
  close(html.length)
  return { baseHref, links }
}

/**
 * Up to `limit` same-site links of the page that look like about / product / solutions / pricing / customers
 * pages, one per kind before a second of any kind, best kinds first; same host preferred over other subdomains.
 */
export const findExtraPages = (html: string, pageUrl: string, limit: number): ReadonlyArray<string> => {
  if (limit <= 0) return []
  const base = new URL(pageUrl)
  const { baseHref, links } = linksOf(html)
  let resolveAgainst = base
  try {
    if (baseHref) resolveAgainst = new URL(baseHref, base)
  } catch {
    // An unparsable <base> is ignored, as browsers do.
  }
  const candidates: Array<{ url: URL; kind: number; order: number; otherHost: boolean }> = []
  links.forEach((link, order) => {
    const href = link.href.trim()
    if (!href || href.startsWith("#")) return
    let url: URL
    try {
      url = new URL(href, resolveAgainst)
    } catch {
      return
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return
    url.hash = ""
    if (url.username !== "" || url.password !== "") return
    if (!sameSite(url, base) || samePage(url, base) || skippedExtension.test(url.pathname)) return
    const kind = kindOf(url, link.text)
    if (kind === undefined) return
    candidates.push({ url, kind, order, otherHost: url.hostname !== base.hostname })
  })
  candidates.sort((a, b) => Number(a.otherHost) - Number(b.otherHost) || a.kind - b.kind || a.order - b.order)
  const chosen: Array<URL> = []
  const kindsTaken = new Set<number>()
  for (const round of [0, 1]) {
    for (const candidate of candidates) {
      if (chosen.length >= limit) break
      if (round === 0 && kindsTaken.has(candidate.kind)) continue
      if (chosen.some((c) => samePage(c, candidate.url))) continue
      chosen.push(candidate.url)
      kindsTaken.add(candidate.kind)
    }
  }
  return chosen.map((u) => u.href)
}
