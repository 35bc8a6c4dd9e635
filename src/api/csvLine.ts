export type CsvValue = string | number | null

// A spreadsheet would run a cell starting with one of these as a formula (OWASP "CSV injection").
const formulaStart = /^[=+\-@\t\r]/

const cell = (value: CsvValue): string => {
  if (value === null) return ""
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : ""
  const text = formulaStart.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) || text.trim() !== text ? `"${text.replace(/"/g, '""')}"` : text
}

/** One RFC 4180 record, CRLF-terminated. */
export const csvLine = (values: ReadonlyArray<CsvValue>): string => `${values.map(cell).join(",")}\r\n`
