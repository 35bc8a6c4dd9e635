import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

export const LogConfig = Config.all({
  /** `auto`: pretty on a TTY, JSON lines otherwise. */
  format: ConfigValue.literal("LOG_FORMAT", ["auto", "pretty", "json"], "auto"),
  level: ConfigValue.literal("LOG_LEVEL", ["debug", "info", "warning", "error"], "info")
})

export type LogSettings = Config.Config.Success<typeof LogConfig>
