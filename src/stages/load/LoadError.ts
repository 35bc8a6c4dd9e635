import { Schema } from "effect"

export const LoadErrorReason = Schema.Literal("FileNotFound", "Unreadable", "InvalidEncoding", "MissingColumns", "MalformedCsv", "EmptyFile", "InvalidColumns")

/** The input cannot be read as a company list; raised before anything is persisted (exit code 2). */
export class LoadError extends Schema.TaggedError<LoadError>()("LoadError", {
  reason: LoadErrorReason,
  message: Schema.String,
  path: Schema.String,
  line: Schema.optional(Schema.Number)
}) {}
