import { Cause, ConfigError, Option } from "effect"
import { formatConfigError } from "../config/formatConfigError.js"

/** One readable message for a failure: ours carry a complete sentence; anything else gets the full cause. */
export const errorMessage = (cause: Cause.Cause<unknown>): string =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => Cause.pretty(cause),
    onSome: (error) => {
      if (ConfigError.isConfigError(error)) return `configuration error:\n${formatConfigError(error)}`
      const e = error as { _tag?: string; message?: string }
      if (e._tag === "SqlError") return `database error: ${e.message}${causeText(error)}`
      if (typeof e.message === "string" && e.message !== "") return e.message
      return Cause.pretty(cause)
    }
  })

const causeText = (error: unknown) => {
  const inner = (error as { cause?: unknown }).cause
  return inner instanceof Error ? `: ${inner.message}` : ""
}
