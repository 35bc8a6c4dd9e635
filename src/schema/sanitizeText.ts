/**
 * Text from outside (CSV fields, web pages, LLM output, remote error bodies) as Postgres can store it: text
 * columns reject U+0000, and lone UTF-16 surrogates cannot be encoded as UTF-8. Other C0 controls but tab,
 * newline and carriage return are dropped too: they are never content and break terminals and CSV exports.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

export const sanitizeText = (text: string): string => (hasUnstorable(text) ? text.replace(UNSTORABLE, "") : text)

/** Whether sanitizeText would change the text (cheap check first: most text is clean). */
export const hasUnstorable = (text: string): boolean => {
  UNSTORABLE.lastIndex = 0
  const found = UNSTORABLE.test(text)
  UNSTORABLE.lastIndex = 0
  return found
}

/** Every string inside a JSON-like value, sanitized (for jsonb columns and stored error details). */
export const sanitizeDeep = <A>(value: A): A => {
  if (typeof value === "string") return sanitizeText(value) as A
  if (Array.isArray(value)) return value.map(sanitizeDeep) as A
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[sanitizeText(k)] = sanitizeDeep(v)
    return out as A
  }
  return value
}
