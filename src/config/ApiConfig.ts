import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

export const ApiConfig = Config.all({
  host: ConfigValue.nonEmptyString("API_HOST", "0.0.0.0"),
  port: ConfigValue.integer("API_PORT", { min: 1, max: 65535, default: 8000 }),
  reload: ConfigValue.boolean("API_RELOAD", false),
  corsOrigins: ConfigValue.list("CORS_ORIGINS", []),
  apiKey: ConfigValue.optionalSecret("API_KEY")
})

export type ApiSettings = Config.Config.Success<typeof ApiConfig>
