const PLACEHOLDERS = new Set(["na", "n/a", "n.a.", "n.a", "none", "null", "nil", "unknown", "-", "--", "?", "tbd"])

/** Whether a cell says "no value" in one of the ways spreadsheets and CRM exports do (`NA`, `n/a`, `-`). */
export const isPlaceholder = (value: string): boolean => {
  const trimmed = value.trim()
  return trimmed.length <= 7 && PLACEHOLDERS.has(trimmed.toLowerCase())
}
