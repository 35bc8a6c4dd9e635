import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

export const ScraperConfig = Config.all({
  timeoutSeconds: ConfigValue.number("SCRAPER_TIMEOUT", { min: 0.1, max: 600, default: 10 }),
  maxRetries: ConfigValue.integer("SCRAPER_MAX_RETRIES", { min: 0, max: 20, default: 3 }),
  userAgent: ConfigValue.nonEmptyString("SCRAPER_USER_AGENT", "CommonForge Lead Scorer/1.0"),
  maxTextLength: ConfigValue.integer("MAX_WEBSITE_TEXT_LENGTH", { min: 0, max: 1_000_000, default: 3000 }),
  concurrency: ConfigValue.integer("SCRAPER_CONCURRENCY", { min: 1, max: 1000, default: 10 }),
  allowPrivateNetworks: ConfigValue.boolean("SCRAPER_ALLOW_PRIVATE_NETWORKS", false),
  maxBytes: ConfigValue.integer("SCRAPER_MAX_BYTES", { min: 1024, max: 1_000_000_000, default: 2_000_000 }),
  extraPages: ConfigValue.integer("SCRAPER_EXTRA_PAGES", { min: 0, max: 10, default: 2 }),
  maxAgeDays: ConfigValue.number("SCRAPE_MAX_AGE", { min: 0, max: 3650, default: 7 })
})

export type ScraperSettings = Config.Config.Success<typeof ScraperConfig>
