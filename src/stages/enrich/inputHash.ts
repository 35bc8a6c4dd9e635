import { createHash } from "node:crypto"
import type { EnrichmentInput } from "./EnrichmentInput.js"
import { modelOutputJsonSchema, systemPrompt, userPrompt } from "./EnrichmentPrompt.js"

/** What, besides the company, decides an enrichment: the Enricher service carries all three. */
export interface EnrichmentIdentity {
  readonly provider: string
  readonly model: string
  readonly promptVersion: string
}

/**
 * The cache key: a hash of everything the answer depends on (company fields, website text, prompt/ICP version,
 * provider, model). Unchanged input is never sent again.
 */
export const inputHash = (input: EnrichmentInput, identity: EnrichmentIdentity): string =>
  createHash("sha256")
    .update(
      JSON.stringify([
        "enrichment-v1",
        identity.provider,
        identity.model,
        identity.promptVersion,
        input.companyName,
        input.domain,
        input.countryName,
        input.countryRaw,
        input.employeeCount,
        input.industry,
        input.websiteText
      ])
    )
    .digest("hex")

/** Characters of a typical ICP profile (data/icp.md is about this long). */
const TYPICAL_ICP_CHARS = 1800
const fixedPromptChars = systemPrompt("").length + TYPICAL_ICP_CHARS + JSON.stringify(modelOutputJsonSchema).length

/** Rough input tokens one company's prompt costs (about four characters a token), for --dry-run estimates. */
export const estimateTokens = (input: EnrichmentInput): number =>
  Math.ceil((fixedPromptChars + userPrompt(input).length) / 4)
