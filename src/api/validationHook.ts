import type { Context } from "hono"
import { ApiError, type ParameterIssue } from "./ApiError.js"
import { errorResponseFor, toResponse } from "./errorResponse.js"

export type Target = "query" | "param" | "json"

/** The part of a Standard Schema issue we read. */
interface Issue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

const keyOf = (segment: PropertyKey | { readonly key: PropertyKey } | undefined) =>
  segment === undefined ? undefined : typeof segment === "object" ? String(segment.key) : String(segment)

/**
 * Turns Standard Schema issues into the 400 body: one detail per parameter and rule. A key the schema
 * does not know is a parameter the endpoint does not take (a typo would otherwise silently match
 * everything).
 */
export const parameterIssues = (
  issues: ReadonlyArray<Issue>,
  target: Target,
  known: ReadonlyArray<string>
): Array<ParameterIssue> => {
  const location = target === "param" ? "path" : target === "json" ? "body" : "query"
  const seen = new Set<string>()
  const details: Array<ParameterIssue> = []
  for (const issue of issues) {
    const parameter = keyOf(issue.path?.[0]) ?? "(request)"
    const what = target === "json" ? "a field of this body" : "a parameter of this endpoint"
    const message = known.includes(parameter)
      ? issue.message
      : known.length === 0
        ? `is not ${what}, which takes none`
        : `is not ${what}; expected one of: ${known.join(", ")}`
    const id = `${parameter}\u0000${message}`
    if (seen.has(id)) continue
    seen.add(id)
    details.push({ parameter, in: location, message })
  }
  return details
}

export const badRequest = (details: ReadonlyArray<ParameterIssue>) => {
  const first = details[0]
  const summary = first ? `invalid ${first.in} parameter ${first.parameter}: ${first.message}` : "invalid request"
  return new ApiError({ reason: "BadRequest", message: summary, details })
}

export const validationHook =
  (target: Target, known: ReadonlyArray<string>) =>
  (result: { success: boolean; error?: ReadonlyArray<Issue> }, _c: Context) =>
    result.success ? undefined : toResponse(errorResponseFor(badRequest(parameterIssues(result.error ?? [], target, known))))
