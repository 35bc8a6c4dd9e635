import { Schema } from "effect"
import { Segment } from "../schema/Segment.js"
import { QualificationStatus } from "./QualificationStatus.js"

export const MAX_NOTE_LENGTH = 4000
export const MAX_AUTHOR_LENGTH = 100

const Author = Schema.String.pipe(
  Schema.filter((s) => (s.trim() === "" ? "must not be empty" : s.length > MAX_AUTHOR_LENGTH ? `must be at most ${MAX_AUTHOR_LENGTH} characters` : undefined), {
    jsonSchema: { type: "string", minLength: 1, maxLength: MAX_AUTHOR_LENGTH }
  })
)

/**
 * The body of PATCH /companies/{id}: a field left out keeps its current override, null clears it, and an
 * override whose fields are all null is cleared (the model's values apply again).
 */
export const OverridePatch = Schema.Struct({
  score: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.between(0, 100))), { exact: true }).annotations({
    description: "the score a person gives, 0–100; null: the model's"
  }),
  segment: Schema.optionalWith(Schema.NullOr(Segment), { exact: true }),
  status: Schema.optionalWith(Schema.NullOr(QualificationStatus), { exact: true }).annotations({
    description: "qualification status"
  }),
  note: Schema.optionalWith(
    Schema.NullOr(
      Schema.String.pipe(
        Schema.maxLength(MAX_NOTE_LENGTH, { message: () => `must be at most ${MAX_NOTE_LENGTH} characters` })
      )
    ),
    { exact: true }
  ),
  author: Schema.optionalWith(Author, { exact: true }).annotations({
    description: "who makes the change, kept in the history (default: api)"
  })
})
  .pipe(
    Schema.filter((patch) =>
      ["score", "segment", "status", "note"].some((key) => key in patch)
        ? undefined
        : { path: ["score"], message: "give at least one of score, segment, status, note (null clears one)" }
    )
  )
  .annotations({ identifier: "OverridePatch" })

export type OverridePatch = typeof OverridePatch.Type
