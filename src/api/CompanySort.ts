export const companySortValues = [
  "-score",
  "score",
  "name",
  "-name",
  "employee_count",
  "-employee_count",
  "updated_at",
  "-updated_at",
  "segment",
  "-segment",
  "country",
  "-country",
  "industry",
  "-industry"
] as const

export type CompanySortToken = (typeof companySortValues)[number]
export type CompanySortField = "score" | "name" | "employee_count" | "updated_at" | "segment" | "country" | "industry"

export interface CompanySort {
  readonly field: CompanySortField
  readonly direction: "asc" | "desc"
  /** What a cursor issued under this sort carries, so it is never replayed under another. */
  readonly token: CompanySortToken
}

export const companySort = (token: CompanySortToken): CompanySort => ({
  field: token.replace(/^-/, "") as CompanySortField,
  direction: token.startsWith("-") ? "desc" : "asc",
  token
})

const isoMicros = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** Whether a cursor key has the type the sort's key expression yields. */
export const isValidSortKey = (field: CompanySortField, key: number | string): boolean => {
  switch (field) {
    case "score":
    case "employee_count":
      return typeof key === "number" && key >= -1
    case "name":
    case "segment":
    case "country":
    case "industry":
      return typeof key === "string" && key.length <= 1000
    case "updated_at":
      return typeof key === "string" && isoMicros.test(key) && !Number.isNaN(Date.parse(key))
  }
}
