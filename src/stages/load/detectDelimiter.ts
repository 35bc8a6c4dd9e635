const CANDIDATES = [",", ";", "\t"] as const

/** `tab` and `\t` as typed on a command line stand for the tab character. */
export const delimiterFromOption = (option: string): string =>
  option === "tab" || option === "\\t" ? "\t" : option

/**
 * The delimiter of a CSV from the start of its text: whichever of `,` `;` and tab occurs most often, outside
 * quotes, on the first non-blank line (the header, which must name several columns). A tie or none means `,`.
 */
export const detectDelimiter = (text: string): string => {
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]))
  let quoted = false
  let started = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') quoted = !quoted
    else if (!quoted && (c === "\n" || c === "\r")) {
      if (started) break
    } else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1)
    if (c !== "\n" && c !== "\r" && c !== " " && c !== "\ufeff") started = true
  }
  let best = ","
  for (const candidate of CANDIDATES) if (counts.get(candidate)! > counts.get(best)!) best = candidate
  return best
}
