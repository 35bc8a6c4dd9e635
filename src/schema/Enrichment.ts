import { Schema } from "effect"
import { Segment } from "./Segment.js"

/**
 * Non-blank text of bounded length. The bound is checked on decode but kept out of the JSON Schema
 * (`jsonSchema: {}`): OpenAI's strict structured outputs reject `minLength`/`maxLength`, so the limit is
 * stated in the description instead and enforced here.
 */
export const BoundedText = (max: number, what: string, options: { readonly allowEmpty?: boolean } = {}) =>
  Schema.String.pipe(
    Schema.filter(
      (s) => {
        if (!options.allowEmpty && s.trim() === "") return `${what} must not be empty`
        if (s.length > max) return `${what} must be at most ${max} characters, got ${s.length}`
        return undefined
      },
      { jsonSchema: {}, description: `${what}, at most ${max} characters` }
    )
  )

export const IcpFitScore = Schema.Int.pipe(Schema.between(0, 100))
export const Confidence = Schema.Number.pipe(Schema.between(0, 1))

export const RiskFlag = BoundedText(80, "a short risk flag")
export const RationaleReasonText = BoundedText(240, "a short reason tying the score to evidence")
export const RationaleQuote = BoundedText(200, "a short verbatim quote from the website text")
export const PrimaryUseCase = BoundedText(300, "the main workflow CommonForge would automate for them")
export const PersonalizedPitch = BoundedText(300, "one sentence").pipe(
  Schema.filter((s) => (/[\r\n]/.test(s) ? "the pitch must be a single sentence on one line" : undefined), {
    jsonSchema: {}
  })
)

/** One reason behind the score; `verified` is computed by us against the scraped text, never by the model. */
export const ScoreReason = Schema.Struct({
  reason: RationaleReasonText,
  quote: Schema.NullOr(RationaleQuote),
  verified: Schema.Boolean
})
export type ScoreReason = typeof ScoreReason.Type

/** What the enrich stage produces for one company (the columns of migration 0005). */
export const Enrichment = Schema.Struct({
  icpFitScore: IcpFitScore,
  segment: Segment,
  primaryUseCase: PrimaryUseCase,
  riskFlags: Schema.Array(RiskFlag).pipe(Schema.maxItems(8)),
  personalizedPitch: PersonalizedPitch,
  scoreRationale: Schema.Array(ScoreReason).pipe(Schema.minItems(2), Schema.maxItems(4)),
  confidence: Confidence
})
export type Enrichment = typeof Enrichment.Type
