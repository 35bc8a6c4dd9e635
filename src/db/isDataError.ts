import type { SqlError } from "@effect/sql/SqlError"

/** SQLSTATE classes of a refused value (22: data exception, 23: integrity, 54: limit exceeded), not a lost server. */
export const isDataError = (error: SqlError) => {
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === "string" && /^(22|23|54)/.test(code)
}
