import { Either } from "effect"
import { normalizeHeader } from "./normalizeHeader.js"
import { type RequiredColumn, requiredColumns } from "./RawRow.js"

/** Which header of the file holds each required column, as `--columns` gives it. */
export type ColumnMapping = Readonly<Partial<Record<RequiredColumn, string>>>

/**
 * `domain=Website,employee_count=Headcount` → { domain: "Website", employee_count: "Headcount" }. Keys are the
 * required columns (matched like headers: `Employee Count` is employee_count); values are the file's header names.
 * Pure; the error says what is wrong with which part.
 */
export const parseColumnMapping = (text: string): Either.Either<ColumnMapping, string> => {
  const mapping: Partial<Record<RequiredColumn, string>> = {}
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "")
  if (parts.length === 0) return Either.left("--columns: expected COLUMN=HEADER pairs separated by commas, got nothing")
  for (const part of parts) {
    const at = part.indexOf("=")
    if (at <= 0 || at === part.length - 1) {
      return Either.left(`--columns: expected COLUMN=HEADER, got ${JSON.stringify(part)}`)
    }
    const key = normalizeHeader(part.slice(0, at))
    const header = part.slice(at + 1).trim()
    const column = requiredColumns.find((c) => c === key)
    if (column === undefined) {
      return Either.left(`--columns: ${JSON.stringify(part.slice(0, at).trim())} is not a column; the columns are ${requiredColumns.join(", ")}`)
    }
    if (mapping[column] !== undefined) return Either.left(`--columns: ${column} is given twice`)
    mapping[column] = header
  }
  return Either.right(mapping)
}
