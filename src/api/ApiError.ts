import { Data } from "effect"

/** One problem with one request parameter, as the 400 body lists it. */
export interface ParameterIssue {
  readonly parameter: string
  readonly in: "query" | "path" | "header" | "body"
  readonly message: string
}

export class ApiError extends Data.TaggedError("ApiError")<{
  readonly reason: "BadRequest" | "Unauthorized" | "Forbidden" | "NotFound" | "MethodNotAllowed" | "UriTooLong" | "UnsupportedMediaType" | "Unavailable" | "Internal"
  readonly message: string
  readonly details?: ReadonlyArray<ParameterIssue>
  readonly cause?: unknown
  /** For MethodNotAllowed: the methods the path answers. */
  readonly allow?: ReadonlyArray<string>
}> {}
