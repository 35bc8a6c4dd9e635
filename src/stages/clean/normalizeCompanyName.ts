import { decodeHTML } from "entities"

/** Whether a character is one `\s` matches, for the ones beyond ASCII. */
const isWideSpace = (c: number) =>
  c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
  c === 0x205f || c === 0x3000 || c === 0xfeff

/** Whitespace that trimming alone does not tidy: a run of two, or any but a plain space (a loop: it runs per row). */
const untidy = (text: string): boolean => {
  let previousSpace = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 32) {
      if (previousSpace) return true
      previousSpace = true
    } else if (c < 32 || (c >= 0xa0 && isWideSpace(c))) {
      return true
    } else {
      previousSpace = false
    }
  }
  return false
}

/** The name trimmed, inner whitespace collapsed and HTML entities decoded (`Lowe&#8217;s` → `Lowe’s`); "" when none. */
export const normalizeCompanyName = (input: string): string => {
  const decoded = input.includes("&") ? decodeHTML(input) : input
  return untidy(decoded) ? decoded.replace(/\s+/g, " ").trim() : decoded.trim()
}
