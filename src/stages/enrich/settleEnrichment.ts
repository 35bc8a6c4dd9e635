import type { Enrichment } from "../../schema/Enrichment.js"
import { sanitizeDeep } from "../../schema/sanitizeText.js"
import type { EnrichmentInput } from "./EnrichmentInput.js"
import type { IcpStructure } from "./IcpProfile.js"
import { segmentForCount } from "./segmentForCount.js"

/** Without website text the evidence is company fields only, whatever a model claims. */
export const NO_WEBSITE_CONFIDENCE_CAP = 0.4
const MAX_RISK_FLAGS = 8

const hasText = (text: string | null) => text !== null && text.trim() !== ""

/**
 * What every provider's validated answer goes through before it is cached or stored: its text made storable
 * (no U+0000 or other control characters), the segment the ICP's size bands give the head count (a contradicting
 * one replaced, with a risk flag saying so), and confidence capped when there was no website text.
 * Idempotent: a settled answer settles to itself.
 */
export const settleEnrichment = (answer: Enrichment, input: EnrichmentInput, size: IcpStructure["size"]): Enrichment => {
  const output = sanitizeDeep(answer)
  const segment = segmentForCount(input.employeeCount, size)
  let riskFlags = output.riskFlags
  if (output.segment !== segment) {
    const flag =
      input.employeeCount === null
        ? `segment ${output.segment} replaced by Unknown: no head count`
        : `segment ${output.segment} replaced by ${segment} for ${input.employeeCount} employees`
    riskFlags = [...riskFlags.slice(0, MAX_RISK_FLAGS - 1), flag]
  }
  const confidence = hasText(input.websiteText) ? output.confidence : Math.min(output.confidence, NO_WEBSITE_CONFIDENCE_CAP)
  return { ...output, segment, riskFlags, confidence }
}
