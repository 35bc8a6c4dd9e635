import { Schema } from "effect"
import {
  BoundedText,
  Confidence,
  IcpFitScore,
  PersonalizedPitch,
  PrimaryUseCase,
  RationaleReasonText,
  RiskFlag
} from "../../schema/Enrichment.js"
import { Segment } from "../../schema/Segment.js"

/**
 * The JSON object the model is asked for (snake_case, as models and the reference design spell it). Every key
 * is required and `quote` is nullable rather than optional: strict structured outputs demand it.
 */
export const ModelOutput = Schema.Struct({
  icp_fit_score: IcpFitScore.annotations({ description: "ICP fit, integer 0-100, per the scoring rubric" }),
  segment: Segment.annotations({
    description: "SMB (<200 employees), Mid-Market (200-999), Enterprise (1000+), or Unknown when employee_count is null"
  }),
  primary_use_case: PrimaryUseCase,
  risk_flags: Schema.Array(RiskFlag).pipe(Schema.maxItems(8)).annotations({
    description: "0-8 short risk flags, e.g. \"no website content\", \"very small team\", \"industry outside ICP\""
  }),
  personalized_pitch: PersonalizedPitch.annotations({
    description: "one sentence, at most 300 characters, addressed to this company"
  }),
  score_rationale: Schema.Array(
    Schema.Struct({
      reason: RationaleReasonText,
      quote: Schema.NullOr(BoundedText(200, "a short quote", { allowEmpty: true })).annotations({
        description: "exact words copied from the website text that support the reason, or null"
      })
    })
  ).pipe(Schema.minItems(2), Schema.maxItems(4)).annotations({
    description: "2-4 reasons tying the score to evidence: employee band, industry, what the website says"
  }),
  confidence: Confidence.annotations({
    description: "0-1; low (at most 0.3) when the website text is missing or thin"
  })
}).annotations({ identifier: "lead_enrichment", description: "ICP assessment of one B2B company" })

export type ModelOutput = typeof ModelOutput.Type
