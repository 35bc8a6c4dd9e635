import type { Enrichment } from "../../schema/Enrichment.js"
import type { ModelOutput } from "./ModelOutput.js"

/**
 * Lowercase, typographic quotes and dashes folded to ASCII, every run of non-alphanumerics to one space: a
 * quote survives the model re-spacing or re-punctuating it, but not changed words.
 */
export const normalizeForQuote = (text: string): string =>
  text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()

/** Whether `quote` occurs in `websiteText` (after normalization). An empty or missing text verifies nothing. */
export const isQuoteVerified = (quote: string, websiteText: string | null): boolean => {
  if (websiteText === null) return false
  const needle = normalizeForQuote(quote)
  if (needle === "") return false
  return ` ${normalizeForQuote(websiteText)} `.includes(` ${needle} `)
}

/** The model's answer in our field names, each quote checked against the scraped text. */
export const toEnrichment = (output: ModelOutput, websiteText: string | null): Enrichment => ({
  icpFitScore: output.icp_fit_score,
  segment: output.segment,
  primaryUseCase: output.primary_use_case.trim(),
  riskFlags: output.risk_flags.map((f) => f.trim()),
  personalizedPitch: output.personalized_pitch.trim(),
  scoreRationale: output.score_rationale.map((r) => {
    const quote = r.quote === null || r.quote.trim() === "" ? null : r.quote.trim()
    return { reason: r.reason.trim(), quote, verified: quote !== null && isQuoteVerified(quote, websiteText) }
  }),
  confidence: output.confidence
})
