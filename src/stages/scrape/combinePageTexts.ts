const SEPARATOR = "\n\n"

/**
 * Splits `budget` among texts of these lengths: each gets an equal share, and what a short text leaves unused
 * goes to the longer ones (water-filling), so a hero-only homepage does not waste the budget.
 */
export const allocateBudget = (lengths: ReadonlyArray<number>, budget: number): ReadonlyArray<number> => {
  const allotted = lengths.map(() => 0)
  const byLength = lengths.map((length, index) => ({ length, index })).sort((a, b) => a.length - b.length)
  let remaining = Math.max(0, Math.floor(budget))
  byLength.forEach(({ length, index }, position) => {
    const share = Math.floor(remaining / (byLength.length - position))
    allotted[index] = Math.min(length, share)
    remaining -= allotted[index]!
  })
  return allotted
}

/** At most `max` characters, cut at a word boundary when one is near. */
export const truncateText = (text: string, max: number): string => {
  if (text.length <= max) return text
  const cut = text.slice(0, Math.max(0, max))
  const lastSpace = cut.search(/\s\S*$/)
  // A word longer than 40 characters is more likely a URL or a hash: cut through it instead.
  return (lastSpace > 0 && lastSpace >= max - 40 ? cut.slice(0, lastSpace) : cut).trimEnd()
}

/** The pages' texts (homepage first) within `budget` characters in all, separators included. */
export const combinePageTexts = (texts: ReadonlyArray<string>, budget: number): string => {
  const pages = texts.map((t) => t.trim()).filter((t) => t !== "")
  if (pages.length === 0 || budget <= 0) return ""
  const available = budget - SEPARATOR.length * (pages.length - 1)
  if (available < pages.length) return truncateText(pages[0]!, budget)
  const allotted = allocateBudget(pages.map((p) => p.length), available)
  return pages
    .map((page, index) => truncateText(page, allotted[index]!))
    .filter((t) => t !== "")
    .join(SEPARATOR)
}
