import { ValidationError } from "@effect/cli"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, type Effect, Exit, Option } from "effect"
import { errorMessage } from "./errorMessage.js"
import { exitCodeForCause } from "./ExitCode.js"

const jsonLogs = () => process.env.LOG_FORMAT === "json" || (process.env.LOG_FORMAT !== "pretty" && !process.stderr.isTTY)

/**
 * The one error report of every entry point: one line on stderr, JSON without a terminal. An interruption is
 * not an error, and @effect/cli has already printed its own argument errors (with the usage).
 */
export const reportFailure = (cause: Cause.Cause<unknown>): void => {
  if (Cause.isInterruptedOnly(cause)) return
  if (Option.exists(Cause.failureOption(cause), ValidationError.isValidationError)) return
  const message = errorMessage(cause)
  process.stderr.write(
    jsonLogs()
      ? JSON.stringify({ timestamp: new Date().toISOString(), level: "error", message, exit_code: exitCodeForCause(cause) }) + "\n"
      : `error: ${message}\n`
  )
}

/** Reports a failure of a program that is not run by `runProgram` (the API server) and exits with its code. */
export const exitWithFailure = (cause: Cause.Cause<unknown>): never => {
  reportFailure(cause)
  process.exit(exitCodeForCause(cause))
}

/**
 * Runs an entry point's program: failures reported once (above) and mapped to the documented exit codes;
 * `exitCode` decides the code of a success or an interruption (a signal) where the program has its own rules.
 */
export const runProgram = <E>(
  program: Effect.Effect<void, E>,
  options: { readonly exitCode?: (exit: Exit.Exit<unknown, unknown>) => number | undefined } = {}
) =>
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      if (Exit.isFailure(exit)) reportFailure(exit.cause)
      const chosen = options.exitCode?.(exit)
      onExit(chosen ?? (Exit.isSuccess(exit) ? 0 : exitCodeForCause(exit.cause)))
    }
  })
