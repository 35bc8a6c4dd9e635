import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"
import { packageFile } from "./packageFile.js"

export const LlmProviders = ["auto", "openai", "openai-compatible", "heuristic"] as const

export const LlmConfig = Config.all({
  provider: ConfigValue.literal("LLM_PROVIDER", LlmProviders, "auto"),
  apiKey: ConfigValue.optionalSecret("OPENAI_API_KEY"),
  baseUrl: ConfigValue.optionalUrl("OPENAI_BASE_URL"),
  model: ConfigValue.nonEmptyString("OPENAI_MODEL", "gpt-4.1-mini"),
  temperature: ConfigValue.number("OPENAI_TEMPERATURE", { min: 0, max: 2, default: 0.3 }),
  maxTokens: ConfigValue.integer("OPENAI_MAX_TOKENS", { min: 1, max: 200_000, default: 1000 }),
  concurrency: ConfigValue.integer("CONCURRENT_LLM_CALLS", { min: 1, max: 1000, default: 3 }),
  requestsPerMinute: ConfigValue.optionalInteger("LLM_REQUESTS_PER_MINUTE", { min: 1, max: 1_000_000 }),
  timeoutSeconds: ConfigValue.number("LLM_TIMEOUT", { min: 0.1, max: 3600, default: 60 }),
  maxRetries: ConfigValue.integer("LLM_MAX_RETRIES", { min: 0, max: 20, default: 3 }),
  // The package's own profile by default, so that `commonforge pipeline` scores from any directory.
  icpProfile: ConfigValue.nonEmptyString("ICP_PROFILE", packageFile("data", "icp.md"))
})

export type LlmSettings = Config.Config.Success<typeof LlmConfig>
