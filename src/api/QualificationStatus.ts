import { Schema } from "effect"

/** Where a person has put a lead; the same list is checked by migration 0050. */
export const qualificationStatusValues = ["new", "qualified", "disqualified", "contacted", "meeting", "customer", "nurture"] as const

export const QualificationStatus = Schema.Literal(...qualificationStatusValues)
export type QualificationStatus = typeof QualificationStatus.Type
