import { Effect } from "effect"
import { LlmConfig, type LlmSettings } from "../config/LlmConfig.js"
import { ScraperConfig, type ScraperSettings } from "../config/ScraperConfig.js"
import { resolveProvider } from "../stages/enrich/resolveProvider.js"

/** The settings stage bounds, retries and descriptions are read from. */
export interface PipelineSettings {
  readonly scraper: ScraperSettings
  readonly llm: LlmSettings
  readonly provider: string
}

export const PipelineSettings = Effect.gen(function* () {
  const scraper = yield* ScraperConfig
  const llm = yield* LlmConfig
  return { scraper, llm, provider: resolveProvider(llm) } satisfies PipelineSettings
})
