import { Data } from "effect"

/** Errors of the pipeline program itself (the stages declare their own). */
export class PipelineError extends Data.TaggedError("PipelineError")<{
  readonly reason:
    | "InputChanged"
    | "RunNotFound"
    | "RunFinished"
    | "LockHeld"
    | "BadArgument"
  readonly message: string
}> {}
