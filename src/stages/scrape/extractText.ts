import { parseHtml } from "./parseHtml.js"

export interface ExtractedText {
  readonly title: string
  readonly description: string
  readonly text: string
}

/** The parts of a domhandler node this module reads and rewires. */
interface DomNode {
  type: string
  name?: string
  data?: string
  attribs?: Record<string, string>
  children?: Array<DomNode>
  parent?: DomNode | null
}

interface Stats {
  chars: number
  linkChars: number
  links: number
}

const NEVER_TEXT = new Set([
  "script", "style", "noscript", "template", "svg", "iframe", "canvas", "object", "embed", "audio", "video", "map",
  "head", "title", "link", "meta", "input", "select", "option", "textarea", "dialog", "math", "picture", "source"
])

const FURNITURE_TAGS = new Set(["nav", "aside", "footer", "form", "menu"])

const FURNITURE_ROLES = new Set([
  "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search", "dialog", "alertdialog",
  "tooltip", "toolbar"
])

const BLOCK_TAGS = new Set([
  "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "div", "dl", "dt",
  "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
  "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
  "img", "label", "legend", "center", "hgroup"
])

const CELL_TAGS = new Set(["td", "th"])

// Headings, table cells and list items that are links belong to their section and are judged with it.
const JUDGED_WITH_PARENT = new Set(["h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "li", "dt", "dd"])

// A class or id token that names page furniture. Whole tokens only: "nav-tabs" or "cmp-container" are content.
const FURNITURE_TOKEN = new RegExp(
  [
    "^(?:(?:site|global|main|top|primary|mobile|header|footer)[-_]?)?(?:nav|navbar|navigation|menu|menubar|megamenu|" +
      "mega[-_]menu|header|footer|masthead|breadcrumbs?|topbar|skip[-_]?links?|skip[-_]?to[-_]?content|sr[-_]only|" +
      "screen[-_]reader[-_]text|visually[-_]?hidden|newsletter|share|sharing|social[-_]?(?:links|share|icons|media)?|" +
      "offcanvas|popup|modal)$",
    // Not "sidebar-first-only", which Drupal puts on the content column of a page that has a sidebar.
    "^(?:(?:sticky|left|right|page|site|region|main)[-_]?)?sidebar(?:[-_](?:left|right|first|second|primary|secondary|wrapper|container|widget|area))?$",
    "^(?:announcement|notification|promo|alert|cookie)[-_]?bar$|^announcements?$|^header-alert$",
    "^related(?:[-_](?:posts|articles|content|links|products|items|stories))?$|^(?:recent|latest)[-_]posts$",
    "^comments?(?:[-_](?:area|section|list|respond|form))?$"
  ].join("|")
)

// Consent managers go by many names; any mention in a class or id is enough.
const CONSENT = /cookie|consent|gdpr|onetrust|cookiebot|didomi|trustarc|truste[-_]|osano|termly|iubenda|cc[-_]window|cc[-_]banner|qc[-_]cmp/

// Tab panels, accordions, carousels and collapsed sections are hidden until used, but readers count them as content.
const DISCLOSURE = /accordion|collaps|(?:^|[-_ ])tabs?(?:$|[-_ ])|tab-?pane|tab-?content|panel|faq|answer|toggle|expand|read-?more|more-text|slide|carousel|swiper|drawer/

const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i

const CODE_CLASS = /code|highlight|syntax|language-|lang-|hljs|prism|shiki/i

// Lines that are furniture whatever element holds them: skip links and copyright notices.
const FURNITURE_LINE = /^(?:skip to (?:the )?(?:main |page )?(?:content|navigation|main)\b|©|\(c\) \d{4}|copyright\b|all rights reserved)/i

const collapse = (text: string) => text.replace(/\s+/g, " ").trim()

const classAndId = (attribs: Record<string, string>) => `${attribs.class ?? ""} ${attribs.id ?? ""}`.toLowerCase()

const isFurnitureClass = (attribs: Record<string, string>) => {
  if (attribs.class === undefined && attribs.id === undefined) return false
  const value = classAndId(attribs)
  return CONSENT.test(value) || value.split(/\s+/).some((token) => token !== "" && FURNITURE_TOKEN.test(token))
}

const isHidden = (attribs: Record<string, string>) =>
  ("hidden" in attribs && attribs.hidden !== "until-found") ||
  attribs["aria-hidden"] === "true" ||
  (attribs.style !== undefined && HIDDEN_STYLE.test(attribs.style))

const isDisclosure = (attribs: Record<string, string>) =>
  (attribs.role ?? "").toLowerCase() === "tabpanel" || "aria-labelledby" in attribs || DISCLOSURE.test(classAndId(attribs))

// Code samples on product pages say little about the company and read as noise; other preformatted text stays.
const isCodeSample = (pre: DomNode) =>
  CODE_CLASS.test(pre.attribs?.class ?? "") ||
  "data-language" in (pre.attribs ?? {}) ||
  (pre.children ?? []).some((child) => child.type === "tag" && child.name === "code")

const isMain = (node: DomNode) => node.name === "main" || (node.attribs?.role ?? "").toLowerCase() === "main"

const isLink = (node: DomNode) => node.name === "a" || node.name === "button"

const pushChildren = <A>(stack: Array<A>, node: DomNode, wrap: (child: DomNode) => A) => {
  for (let i = (node.children?.length ?? 0) - 1; i >= 0; i--) stack.push(wrap(node.children![i]!))
}

// Every walk below is iterative: malformed pages can nest elements thousands deep.

/** The elements under `root` that pass `test`, in document order. */
const findAll = (root: DomNode, test: (node: DomNode) => boolean) => {
  const found: Array<DomNode> = []
  const stack: Array<DomNode> = []
  pushChildren(stack, root, (child) => child)
  while (stack.length > 0) {
    const node = stack.pop()!
    if (node.type !== "tag") continue
    if (test(node)) found.push(node)
    pushChildren(stack, node, (child) => child)
  }
  return found
}

/**
 * Walks the tree top-down, removing every node `keep` rejects (returns undefined for) with its subtree. `keep`
 * gets the context its parent was given and returns the context for the node's own children.
 */
const pruneTree = <C>(root: DomNode, context: C, keep: (node: DomNode, context: C) => C | undefined) => {
  const stack: Array<[DomNode, C]> = [[root, context]]
  while (stack.length > 0) {
    const [node, parentContext] = stack.pop()!
    const children = node.children
    if (!children) continue
    // A new array only where a child goes: most nodes keep all of theirs.
    let kept: Array<DomNode> | undefined
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!
      const childContext = keep(child, parentContext)
      if (childContext === undefined) {
        kept ??= children.slice(0, i)
        continue
      }
      kept?.push(child)
      stack.push([child, childContext])
    }
    if (kept) node.children = kept
  }
}

/** Characters of text, of link text (in links and buttons) and number of links under every element. */
const computeStats = (root: DomNode) => {
  const order: Array<DomNode> = []
  const inLink = new Set<DomNode>()
  const stack = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    order.push(node)
    const linked = inLink.has(node) || isLink(node)
    for (const child of node.children ?? []) {
      if (linked) inLink.add(child)
      stack.push(child)
    }
  }
  // A node comes after its parent in `order`: walking it backwards totals the children before their parent.
  const stats = new Map<DomNode, Stats>()
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!
    if (node.type === "text") continue
    const own: Stats = { chars: 0, linkChars: 0, links: isLink(node) ? 1 : 0 }
    for (const child of node.children ?? []) {
      if (child.type === "text") {
        const chars = collapse(child.data ?? "").length
        own.chars += chars
        if (inLink.has(child)) own.linkChars += chars
        continue
      }
      const s = stats.get(child)
      if (!s) continue
      own.chars += s.chars
      own.linkChars += s.linkChars
      own.links += s.links
    }
    stats.set(node, own)
  }
  return stats
}

interface Head {
  readonly body: DomNode | undefined
  readonly title: string
  readonly metas: ReadonlyMap<string, string>
}

/** The body, the first title outside SVG and the first content of each named meta tag (names lowercased). */
const scanHead = (root: DomNode): Head => {
  let body: DomNode | undefined
  let title: string | undefined
  const metas = new Map<string, string>()
  const stack: Array<[DomNode, boolean]> = []
  pushChildren(stack, root, (child) => [child, false])
  while (stack.length > 0) {
    const [node, inSvg] = stack.pop()!
    if (node.type !== "tag") continue
    if (node.name === "body") body ??= node
    else if (node.name === "title" && !inSvg && title === undefined) {
      title = (node.children ?? []).map((child) => child.data ?? "").join("")
    } else if (node.name === "meta") {
      const key = (node.attribs?.name ?? node.attribs?.property ?? "").toLowerCase()
      const content = node.attribs?.content
      if (key !== "" && content !== undefined && !metas.has(key)) metas.set(key, collapse(content))
    }
    pushChildren(stack, node, (child) => [child, inSvg || node.name === "svg"])
  }
  return { body, title: collapse(title ?? ""), metas }
}

/**
 * React streaming SSR sends late parts as `<div hidden id="S:n">` at the end of the body, and a script moves each
 * into its `<template id="B:n">` placeholder: do the same, or Next.js pages would lose most of their content.
 */
const placeStreamedSegments = (root: DomNode) => {
  const segments = new Map<string, DomNode>()
  const placeholders: Array<DomNode> = []
  for (const node of findAll(root, (n) => n.name === "template" || n.name === "div")) {
    const id = node.attribs?.id ?? ""
    if (node.name === "template" && /^B:\d+$/.test(id)) placeholders.push(node)
    else if (node.name === "div" && /^S:\d+$/.test(id)) segments.set(id.slice(2), node)
  }
  for (const placeholder of placeholders) {
    const segment = segments.get(placeholder.attribs!.id!.slice(2))
    const siblings = placeholder.parent?.children
    if (!segment?.parent?.children || !siblings) continue
    segment.parent.children = segment.parent.children.filter((child) => child !== segment)
    const moved = segment.children ?? []
    for (const child of moved) child.parent = placeholder.parent ?? null
    siblings.splice(siblings.indexOf(placeholder), 1, ...moved)
  }
}

const dropNeverText = (root: DomNode) =>
  pruneTree(root, true, (node) => {
    if (node.type === "comment" || node.type === "directive" || node.type === "cdata") return undefined
    if (node.type !== "text" && NEVER_TEXT.has(node.name ?? "")) return undefined
    if (node.name === "pre" && isCodeSample(node)) return undefined
    return true
  })

/**
 * Removes furniture known by tag, role, class or visibility (a header only outside the main content), except
 * what holds more than half of the page's text or wraps `main`: a class on a page wrapper must not empty the page.
 */
const dropFurniture = (root: DomNode, stats: Map<DomNode, Stats>) => {
  const total = Math.max(1, stats.get(root)!.chars)
  const wrappers = new Set<DomNode>()
  for (const main of findAll(root, isMain)) {
    for (let node = main.parent; node; node = node.parent) wrappers.add(node)
  }
  pruneTree(root, false, (node, inMain) => {
    if (node.type !== "tag") return inMain
    const name = node.name ?? ""
    const attribs = node.attribs ?? {}
    const role = (attribs.role ?? "").toLowerCase()
    const furniture =
      FURNITURE_TAGS.has(name) ||
      (name === "header" && !inMain) ||
      FURNITURE_ROLES.has(role) ||
      (isHidden(attribs) && !isDisclosure(attribs)) ||
      isFurnitureClass(attribs)
    if (furniture && stats.get(node)!.chars <= 0.5 * total && !wrappers.has(node)) return undefined
    return inMain || name === "main" || name === "article" || role === "main"
  })
}

/** `main` (or `[role=main]`) when it holds a fair share of the text, else a dominant `article`, else the body. */
const chooseRegion = (body: DomNode, stats: Map<DomNode, Stats>): DomNode => {
  const total = stats.get(body)!.chars
  if (total === 0) return body
  const largest = (nodes: Array<DomNode>) =>
    nodes.reduce<DomNode | undefined>((a, b) => (a && stats.get(a)!.chars >= stats.get(b)!.chars ? a : b), undefined)
  const main = largest(findAll(body, isMain))
  if (main && stats.get(main)!.chars >= 0.3 * total) return main
  const article = largest(findAll(body, (n) => n.name === "article"))
  if (article && stats.get(article)!.chars >= 0.5 * total) return article
  return body
}

/**
 * Drops blocks that read as navigation whatever their tags: mostly short links (menus, link clouds, footers in
 * divs), or a single short link alone (buttons such as "Get started", "Learn more"). Card grids whose links wrap
 * whole paragraphs have long link texts and stay.
 */
const dropLinkDense = (root: DomNode, stats: Map<DomNode, Stats>) =>
  pruneTree(root, true, (node) => {
    if (node.type !== "tag") return true
    const name = node.name ?? ""
    const s = stats.get(node)!
    const menuLike = s.links >= 2 && s.linkChars > 0.6 * s.chars && s.linkChars / s.links < 30
    const loneLink = s.links >= 1 && s.linkChars === s.chars && s.chars < 80 && !JUDGED_WITH_PARENT.has(name)
    const styledAsButton = name === "a" && s.chars < 40 && /(?:^|[-_ ])(?:btn|button|cta)/i.test(node.attribs?.class ?? "")
    return styledAsButton || (BLOCK_TAGS.has(name) && (menuLike || loneLink)) ? undefined : true
  })

/** The text, one line per block; the cells of a table row share its line. */
const renderLines = (root: DomNode): Array<string> => {
  const lines: Array<string> = []
  let current = ""
  const flush = () => {
    const line = collapse(current)
    if (line !== "") lines.push(line)
    current = ""
  }
  // An element is pushed twice: to open it (with its children above it), then to close it.
  const stack: Array<[DomNode, "open" | "close"]> = [[root, "open"]]
  while (stack.length > 0) {
    const [node, step] = stack.pop()!
    if (node.type === "text") {
      current += node.data ?? ""
      continue
    }
    const name = node.name ?? ""
    if (CELL_TAGS.has(name)) current += " "
    else if (BLOCK_TAGS.has(name)) flush()
    if (step === "close") continue
    stack.push([node, "close"])
    pushChildren(stack, node, (child) => [child, "open"])
  }
  flush()
  return lines
}

/** Without repeated lines (menus and responsive layouts repeat them) and furniture lines. */
const keepLines = (lines: Array<string>) => {
  const seen = new Set<string>()
  return lines.filter((line) => {
    const key = line.toLowerCase()
    if (seen.has(key) || (line.length < 200 && FURNITURE_LINE.test(line))) return false
    seen.add(key)
    return true
  })
}

/** At most `max` characters, cut at the last word boundary within the limit (0: no cap). */
const truncate = (text: string, max: number) => {
  if (max <= 0 || text.length <= max) return text
  const cut = text.slice(0, max + 1)
  const boundary = cut.search(/\s\S*$/)
  if (boundary > 0 && boundary >= max - 40) return cut.slice(0, boundary).trimEnd()
  // A "word" of more than 40 characters is a URL, a hash or text written without spaces (Japanese, Chinese):
  // cut through it, though not through a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max
  return text.slice(0, end).trimEnd()
}

/**
 * A page's title, meta description and main text, the text one block per line with navigation, headers,
 * footers, cookie banners, forms, hidden elements, link-dense blocks and repeated lines removed, cut to
 * `maxLength` characters on a word boundary (0: no cap). The text holds the title or description only when the
 * page body does.
 */
export const extractText = (html: string, options: { readonly maxLength: number }): ExtractedText => {
  // htmlparser2 rather than parse5: eight times faster on real pages, and linear on deep ones (parseHtml).
  const root = parseHtml(html) as unknown as DomNode
  // Found by one walk rather than with selectors, which are quadratic on a root with thousands of children.
  const head = scanHead(root)
  const title = head.title || (head.metas.get("og:title") ?? "")
  const description = head.metas.get("description") || (head.metas.get("og:description") ?? "")

  const body = head.body ?? root
  placeStreamedSegments(body)
  dropNeverText(body)
  dropFurniture(body, computeStats(body))
  const stats = computeStats(body)
  const region = chooseRegion(body, stats)
  dropLinkDense(region, stats)
  const text = keepLines(renderLines(region)).join("\n")
  return { title, description, text: truncate(text, options.maxLength) }
}
