/** A stretch of website text, marked when it is one of the verified quotes. */
export interface TextPart {
  readonly text: string
  readonly quote?: number
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Splits `text` around every occurrence of each quote, matched without regard to case or to how the
 * whitespace runs (the enrich stage verifies quotes the same lenient way), earlier quotes first where two
 * would overlap. Returns the parts in order; joined, they are the text unchanged.
 */
export const highlightQuotes = (text: string, quotes: ReadonlyArray<string>): ReadonlyArray<TextPart> => {
  const ranges: Array<{ start: number; end: number; quote: number }> = []
  quotes.forEach((quote, index) => {
    const words = quote.trim().split(/\s+/).filter((w) => w !== "")
    if (words.length === 0) return
    const pattern = new RegExp(words.map(escapeRegExp).join("\\s+"), "giu")
    for (const match of text.matchAll(pattern)) {
      const start = match.index
      const end = start + match[0].length
      if (match[0].length > 0 && !ranges.some((r) => start < r.end && end > r.start)) ranges.push({ start, end, quote: index })
    }
  })
  ranges.sort((a, b) => a.start - b.start)
  const parts: Array<TextPart> = []
  let at = 0
  for (const range of ranges) {
    if (range.start > at) parts.push({ text: text.slice(at, range.start) })
    parts.push({ text: text.slice(range.start, range.end), quote: range.quote })
    at = range.end
  }
  if (at < text.length) parts.push({ text: text.slice(at) })
  return parts
}
