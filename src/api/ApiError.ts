import { Data } from "effect"

/** One problem with one request parameter, as the 400 body lists it. */
export interface ParameterIssue {
  readonly parameter: string
  readonly in: "query" | "path" | "header"
  readonly message: string
}

export class ApiError extends Data.TaggedError("ApiError")<{
  readonly reason: "BadRequest" | "Unauthorized" | "NotFound" | "Unavailable" | "Internal"
  readonly message: string
  readonly details?: ReadonlyArray<ParameterIssue>
  readonly cause?: unknown
}> {}
