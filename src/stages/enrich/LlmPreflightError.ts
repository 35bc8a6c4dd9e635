import { Data } from "effect"

/** The remote LLM cannot serve this run (checked before anything is written; exit code 2). */
export class LlmPreflightError extends Data.TaggedError("LlmPreflightError")<{
  readonly reason: "Unreachable" | "HttpStatus" | "BadResponse" | "ModelNotFound"
  /** The URL that was asked. */
  readonly url: string
  readonly message: string
}> {}
