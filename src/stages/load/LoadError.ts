import { Data } from "effect"

/** The input cannot be read as a company list; raised before anything is persisted (exit code 2). */
export class LoadError extends Data.TaggedError("LoadError")<{
  readonly reason: "FileNotFound" | "Unreadable" | "InvalidEncoding" | "MissingColumns" | "MalformedCsv" | "EmptyFile" | "InvalidColumns"
  readonly message: string
  readonly path: string
  readonly line?: number
}> {}
