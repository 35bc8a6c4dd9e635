import * as cheerio from "cheerio"

// Elements after which text does not run on: without a break, "<li>Home</li><li>About</li>" would read "HomeAbout".
const BREAKING = new Set([
  "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
  "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
  "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "option",
  "button", "label", "select", "textarea", "img"
])

interface DomNode {
  readonly type: string
  readonly name?: string
  readonly data?: string
  readonly children?: ReadonlyArray<DomNode>
}

/**
 * The baseline the extractor is measured against: all the body's text once script, style, nav, header and
 * footer are dropped, one line per block.
 */
export const naiveExtractText = (html: string): string => {
  const $ = cheerio.load(html)
  $("script,style,nav,header,footer").remove()
  const parts: Array<string> = []
  const walk = (node: DomNode) => {
    if (node.type === "text") parts.push(node.data ?? "")
    const breaking = node.type === "tag" && BREAKING.has(node.name ?? "")
    if (breaking) parts.push("\n")
    for (const child of node.children ?? []) walk(child)
    if (breaking) parts.push("\n")
  }
  for (const body of $("body").toArray()) walk(body as unknown as DomNode)
  return parts
    .join("")
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter((line) => line !== "")
    .join("\n")
}
