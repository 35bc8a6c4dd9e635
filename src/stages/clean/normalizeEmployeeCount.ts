import { Either } from "effect"
import { isPlaceholder } from "./isPlaceholder.js"
import type { FieldRejection } from "./RejectReason.js"

const MAX = 2_147_483_647
const MAX_FRACTION_DIGITS = 6

const quoted = (input: string) => JSON.stringify(input.length > 40 ? `${input.slice(0, 37)}...` : input)

const invalid = (raw: string, why: string): FieldRejection => ({
  reason: "InvalidEmployeeCount",
  message: `employee_count ${quoted(raw)} ${why}`
})

const isDigit = (c: number) => c >= 48 && c <= 57
/** `,` space, no-break space, narrow no-break space, `'`: what separates thousands in the lists we see. */
const isGroupSeparator = (c: number) => c === 44 || c === 32 || c === 0xa0 || c === 0x202f || c === 39

/**
 * A head count as lists write it: `1200`, `1,200`, `1 200`, `1'200` (one separator, groups of three), `1200.0`,
 * `5k`, `1.5k`, `2M`. Anything that is not a whole, non-negative number is rejected with the reason, never guessed.
 */
export const normalizeEmployeeCount = (input: string): Either.Either<number, FieldRejection> => {
  const result = employeeCountOrRejection(input)
  return typeof result === "number" ? Either.right(result) : Either.left(result)
}

/** normalizeEmployeeCount's result as a plain union, for the per-row path (a scanner, not regexes: it runs per row). */
export const employeeCountOrRejection = (input: string): number | FieldRejection => {
  const raw = input.trim()
  const length = raw.length
  if (length === 0) return { reason: "MissingEmployeeCount", message: "employee_count is empty" }
  const first = raw.charCodeAt(0)
  if (!isDigit(first)) {
    if (first === 45 && length > 1 && isDigit(raw.charCodeAt(1))) return invalid(raw, "is negative")
    if (isPlaceholder(raw)) return { reason: "MissingEmployeeCount", message: `employee_count is ${quoted(raw)}` }
    return invalid(raw, "is not a number")
  }
  let i = 0
  let whole = 0
  let digits = 0
  let separator = -1
  let groupDigits = 0
  for (; i < length; i++) {
    const c = raw.charCodeAt(i)
    if (isDigit(c)) {
      whole = whole * 10 + (c - 48)
      digits++
      groupDigits++
    } else if (isGroupSeparator(c) && i + 1 < length && isDigit(raw.charCodeAt(i + 1))) {
      const firstGroup = separator === -1
      if (firstGroup ? groupDigits > 3 : c !== separator || groupDigits !== 3) return invalid(raw, "is not a number")
      separator = c
      groupDigits = 0
    } else {
      break
    }
  }
  if (separator !== -1 && groupDigits !== 3) return invalid(raw, "is not a number")
  let fraction = 0
  let fractionDigits = 0
  if (i < length && raw.charCodeAt(i) === 46) {
    for (i++; i < length && isDigit(raw.charCodeAt(i)); i++) {
      fraction = fraction * 10 + (raw.charCodeAt(i) - 48)
      fractionDigits++
    }
    if (fractionDigits === 0 || fractionDigits > MAX_FRACTION_DIGITS) return invalid(raw, "is not a number")
  }
  let multiplier = 1
  let suffixAt = i
  while (suffixAt < length && raw.charCodeAt(suffixAt) === 32) suffixAt++
  if (suffixAt === length - 1) {
    const c = raw.charCodeAt(suffixAt) | 32
    if (c === 107) multiplier = 1_000
    else if (c === 109) multiplier = 1_000_000
    if (multiplier !== 1) i = length
  }
  if (i !== length) return invalid(raw, "is not a number")
  if (digits > 15) return invalid(raw, "is too large")
  // In integers, so `1.1k` is 1100 and not 1100.0000000000002.
  const scale = 10 ** fractionDigits
  const value = ((whole * scale + fraction) * multiplier) / scale
  if (!Number.isInteger(value)) return invalid(raw, "is not a whole number")
  if (value > MAX) return invalid(raw, "is too large")
  return value
}
