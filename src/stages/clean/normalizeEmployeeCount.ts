import { Either } from "effect"
import { isPlaceholder } from "./isPlaceholder.js"
import type { FieldRejection } from "./RejectReason.js"

const MAX = 2_147_483_647

/** A head count as read: the representative value scoring and segments use, and the bounds it came from. */
export interface EmployeeCount {
  /** An exact count as given; for a range its geometric midpoint, for an open range (`10,001+`) its lower bound. */
  readonly value: number
  readonly min: number
  /** null for an open range (`10,001+`). */
  readonly max: number | null
}

const quoted = (input: string) => JSON.stringify(input.length > 40 ? `${input.slice(0, 37)}...` : input)

const invalid = (raw: string, why: string): FieldRejection => ({
  reason: "InvalidEmployeeCount",
  message: `employee_count ${quoted(raw)} ${why}`
})

const PLAIN = /^\d{1,10}$/
/**
 * One number: digits with an optional grouping (`1,200`, `1.200`, `1 200`, `1'200`: one separator kind, groups of
 * three), an optional decimal part (`1200.0`, `1.5`, `1,5`) and an optional `k`/`m` multiplier.
 */
const NUMBER = /^(\d{1,3}(?:([,.' \u00a0\u202f])\d{3})(?:\2\d{3})*|\d+)(?:([.,])(\d{1,6}))?\s*([km])?$/i
/** `11-50`, `51–200`, `1K - 5K`, `200 to 500`. */
const RANGE = /^(.+?)\s*(?:-|–|—|\bto\b)\s*(.+)$/i
/** `10,001+`, `5000 +`, `more than 1000`, `> 1000`, `1000 or more`. */
const OPEN = /^(?:(?:more than|over|above|>=?)\s*(.+)|(.+?)\s*(?:\+|or more|and above))$/i
/** `< 10`, `fewer than 10`, `under 10`. */
const BELOW = /^(?:less than|fewer than|under|below|<)\s*(.+)$/i
/** The words lists put after a count (`11-50 employees`). */
const UNIT = /\s*(?:employees?|people|persons|staff|ftes?|headcount)\.?$/i
/** LinkedIn's band for one person. */
const SELF = /^(?:self-?employed|myself only|just me|solo|sole proprietor)$/i

/**
 * A number as lists write it, or why not. A single separator followed by exactly three digits groups thousands
 * whichever it is (`1.000` and `1,000` are both a thousand); followed by other than three digits it is a decimal
 * point (`1.5k`, `1200.0`, `1,5k`).
 */
const parseNumber = (text: string): number | string => {
  if (PLAIN.test(text)) return Number(text)
  const match = NUMBER.exec(text)
  if (match === null) return "is not a number"
  const [, whole, groupSeparator, decimalSeparator, fraction, unit] = match
  if (groupSeparator !== undefined && decimalSeparator === groupSeparator) return "is not a number"
  const digits = whole!.replace(/\D/g, "")
  if (digits.length > 15) return "is too large"
  const multiplier = unit === undefined ? 1 : unit.toLowerCase() === "k" ? 1_000 : 1_000_000
  // In integers, so `1.1k` is 1100 and not 1100.0000000000002.
  const scale = 10 ** (fraction?.length ?? 0)
  const value = ((Number(digits) * scale + Number(fraction ?? 0)) * multiplier) / scale
  if (!Number.isInteger(value)) return "is not a whole number"
  if (value > MAX) return "is too large"
  return value
}

/**
 * Digits with optional `,` groups of three (`1200`, `1,200`, `12,345,678`): what most rows hold, read by a loop
 * because the regex above costs three times as much and runs for every row. undefined for anything else.
 */
const commonNumber = (text: string): number | undefined => {
  const length = text.length
  if (length === 0 || length > 15) return undefined
  let value = 0
  let group = 0
  let grouped = false
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48)
      group++
    } else if (c === 44 && group > 0 && (grouped ? group === 3 : group <= 3)) {
      group = 0
      grouped = true
    } else {
      return undefined
    }
  }
  return (grouped && group !== 3) || value > MAX ? undefined : value
}

const rounded = (min: number, max: number) => Math.round(Math.sqrt(min * max))

/**
 * A head count as lists write it: exact (`1200`, `1,200`, `1.200`, `1 200`, `1200.0`, `5k`, `1.5k`, `2M`), a range
 * (`11-50`, `51–200`, `1K-5K`, `201 to 500 employees`: its geometric midpoint, the middle of a band on the log scale
 * sizes spread over), open-ended (`10,001+`: its lower bound) or below a bound (`<10`: 1 to 9). Anything else is
 * rejected with the reason, never guessed.
 */
export const employeeCountOrRejection = (input: string): EmployeeCount | FieldRejection => {
  const raw = input.trim()
  if (raw === "") return { reason: "MissingEmployeeCount", message: "employee_count is empty" }
  const common = commonNumber(raw)
  if (common !== undefined) return { value: common, min: common, max: common }
  if (isPlaceholder(raw)) return { reason: "MissingEmployeeCount", message: `employee_count is ${quoted(raw)}` }
  const text = raw.replace(UNIT, "").trim()
  if (SELF.test(text)) return { value: 1, min: 1, max: 1 }
  if (/^-\s*\d/.test(text)) return invalid(raw, "is negative")
  const exact = parseNumber(text)
  if (typeof exact === "number") return { value: exact, min: exact, max: exact }
  const open = OPEN.exec(text)
  if (open !== null) {
    const min = parseNumber((open[1] ?? open[2]!).trim())
    if (typeof min !== "number") return invalid(raw, min)
    // "more than 1000" excludes its bound; "10,001+" includes it.
    const lower = open[1] !== undefined && !text.includes("=") ? min + 1 : min
    return { value: lower, min: lower, max: null }
  }
  const below = BELOW.exec(text)
  if (below !== null) {
    const bound = parseNumber(below[1]!.trim())
    if (typeof bound !== "number") return invalid(raw, bound)
    if (bound < 2) return invalid(raw, "is not a count")
    return { value: rounded(1, bound - 1), min: 1, max: bound - 1 }
  }
  const range = RANGE.exec(text)
  if (range !== null) {
    const low = parseNumber(range[1]!.trim())
    const high = parseNumber(range[2]!.trim())
    if (typeof low !== "number") return invalid(raw, `is not a range of numbers (${low.replace(/^is /, "")} at the start)`)
    if (typeof high !== "number") return invalid(raw, `is not a range of numbers (${high.replace(/^is /, "")} at the end)`)
    if (high < low) return invalid(raw, "is a range whose end is below its start")
    // A band starting at 0 (`0-10`) has no geometric middle: count it from one person.
    return { value: rounded(Math.max(1, low), high), min: low, max: high }
  }
  return invalid(raw, exact)
}

/** employeeCountOrRejection as an Either. */
export const normalizeEmployeeCount = (input: string): Either.Either<EmployeeCount, FieldRejection> => {
  const result = employeeCountOrRejection(input)
  return "reason" in result ? Either.left(result) : Either.right(result)
}
