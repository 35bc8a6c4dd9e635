import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

/** Memory for cached list pages, each valid only until the companies table next changes; 0 turns it off. */
export const ApiCacheConfig = ConfigValue.integer("API_CACHE_MB", { min: 0, max: 4096, default: 64 })

export const ApiConfig = Config.all({
  host: ConfigValue.nonEmptyString("API_HOST", "0.0.0.0"),
  port: ConfigValue.integer("API_PORT", { min: 1, max: 65535, default: 8000 }),
  reload: ConfigValue.boolean("API_RELOAD", false),
  corsOrigins: ConfigValue.list("CORS_ORIGINS", []),
  apiKey: ConfigValue.optionalSecret("API_KEY"),
  /** With API_KEY set, whether /docs and /openapi.json stay open (browsers cannot send the key for a page). */
  docsPublic: ConfigValue.boolean("API_DOCS_PUBLIC", false),
  cacheMegabytes: ApiCacheConfig,
  /** Leads workspace badges: hot from this effective score up, warm from LEAD_WARM_SCORE, cold below. */
  hotScore: ConfigValue.integer("LEAD_HOT_SCORE", { min: 1, max: 100, default: 80 }),
  warmScore: ConfigValue.integer("LEAD_WARM_SCORE", { min: 0, max: 99, default: 50 })
}).pipe(
  Config.validate({
    message: "LEAD_WARM_SCORE must be below LEAD_HOT_SCORE",
    validation: (settings) => settings.warmScore < settings.hotScore
  })
)

export type ApiSettings = Config.Config.Success<typeof ApiConfig>
