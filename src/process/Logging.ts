import { Cause, Effect, HashMap, Layer, Logger, LogLevel } from "effect"
import { LogConfig } from "../config/LogConfig.js"
import { writeTerminalLine } from "./TerminalSink.js"

export type ProgressMode = "tty" | "json"

const levels = { debug: LogLevel.Debug, info: LogLevel.Info, warning: LogLevel.Warning, error: LogLevel.Error } as const

/**
 * JSON lines (one object per line, no control characters) without a TTY or with LOG_FORMAT=json; a readable
 * logger on a terminal, on stderr so that stdout stays for results.
 */
export const resolveLogMode = Effect.map(LogConfig, (config): { mode: ProgressMode; level: LogLevel.LogLevel } => ({
  mode: config.format === "json" ? "json" : config.format === "pretty" ? "tty" : process.stderr.isTTY ? "tty" : "json",
  level: levels[config.level]
}))

/** Flat JSON lines (`{"timestamp","level","message",...annotations}`), the shape log shippers index best. */
const stderrJson = Logger.make(({ annotations, cause, date, logLevel, message }) => {
  const entry: Record<string, unknown> = {
    timestamp: date.toISOString(),
    level: logLevel.label.toLowerCase(),
    message: Array.isArray(message) ? message.map(String).join(" ") : String(message)
  }
  for (const [key, value] of HashMap.toEntries(annotations)) entry[key] = value
  if (!Cause.isEmpty(cause)) entry.cause = Cause.pretty(cause)
  process.stderr.write(JSON.stringify(entry) + "\n")
})

const stderrPretty = Logger.map(Logger.logfmtLogger, writeTerminalLine)

export const loggerLayer = (mode: ProgressMode, level: LogLevel.LogLevel) =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, mode === "json" ? stderrJson : stderrPretty),
    Logger.minimumLogLevel(level)
  )
