import type { EnrichmentOutcome } from "../schema/EnrichmentOutcome.js"
import type { ScrapeResult } from "../schema/ScrapeResult.js"
import type { ItemDraft } from "./RunStore.js"

export const scrapeItem = (result: ScrapeResult): ItemDraft => ({
  domain: result.domain,
  stage: "scrape",
  status: result.status === "success" ? "succeeded" : result.status === "skipped" ? "skipped" : "failed",
  errorKind: result.errorKind,
  errorMessage: result.errorMessage,
  retryable: result.retryable,
  outputHash: result.contentHash,
  inputTokens: 0,
  outputTokens: 0
})

export const enrichItem = (domain: string, outcome: EnrichmentOutcome): ItemDraft | null => {
  switch (outcome._tag) {
    case "Enriched":
      return {
        domain,
        stage: "enrich",
        status: "succeeded",
        errorKind: null,
        errorMessage: null,
        retryable: false,
        outputHash: outcome.result.inputHash,
        inputTokens: outcome.result.cached ? 0 : outcome.result.inputTokens,
        outputTokens: outcome.result.cached ? 0 : outcome.result.outputTokens
      }
    case "EnrichFailed":
      return {
        domain,
        stage: "enrich",
        status: "failed",
        errorKind: outcome.error.reason,
        errorMessage: outcome.error.message,
        retryable: outcome.error.retryable,
        outputHash: null,
        inputTokens: 0,
        outputTokens: 0
      }
    case "NotEnriched":
      return null
  }
}

export const persistItem = (domain: string): ItemDraft => ({
  domain,
  stage: "persist",
  status: "succeeded",
  errorKind: null,
  errorMessage: null,
  retryable: false,
  outputHash: null,
  inputTokens: 0,
  outputTokens: 0
})
