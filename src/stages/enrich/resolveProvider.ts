import { Option } from "effect"
import type { LlmSettings } from "../../config/LlmConfig.js"

export type ProviderName = "openai" | "openai-compatible" | "heuristic"

/** `auto`: a base URL means a compatible server, else an API key means OpenAI, else the offline scorer. */
export const resolveProvider = (settings: Pick<LlmSettings, "provider" | "apiKey" | "baseUrl">): ProviderName => {
  if (settings.provider !== "auto") return settings.provider
  if (Option.isSome(settings.baseUrl)) return "openai-compatible"
  if (Option.isSome(settings.apiKey)) return "openai"
  return "heuristic"
}
