import { ValidationError } from "@effect/cli"
import { Cause, ConfigError, Option } from "effect"

export const ExitCode = {
  Ok: 0,
  Failures: 1,
  BadInput: 2,
  Locked: 3,
  Interrupted: 130,
  Terminated: 143
} as const

/** The one place errors become exit codes (documented in the README). */
export const exitCodeForError = (error: unknown): number => {
  if (ConfigError.isConfigError(error) || ValidationError.isValidationError(error)) return ExitCode.BadInput
  const tagged = error as { _tag?: string; reason?: string }
  switch (tagged._tag) {
    case "LoadError":
    case "EnricherSetupError":
    case "LlmPreflightError":
      return ExitCode.BadInput
    case "PipelineError":
      return tagged.reason === "LockHeld" ? ExitCode.Locked : ExitCode.BadInput
    case "DatabaseError":
      return tagged.reason === "LegacyData" ? ExitCode.BadInput : ExitCode.Failures
    case "ClusterError":
      return tagged.reason === "NeedsServer" ? ExitCode.BadInput : ExitCode.Failures
    default:
      return ExitCode.Failures
  }
}

export const exitCodeForCause = (cause: Cause.Cause<unknown>): number =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => (Cause.isInterruptedOnly(cause) ? ExitCode.Interrupted : ExitCode.Failures),
    onSome: exitCodeForError
  })
