import { Schema } from "effect"

/** The segments a head count falls in (bands from the ICP file). */
export const SizeSegment = Schema.Literal("SMB", "Mid-Market", "Enterprise")
export type SizeSegment = typeof SizeSegment.Type

/** A company's segment: `Unknown` when its list gives no head count (MISSING_EMPLOYEE_COUNT=keep). */
export const Segment = Schema.Literal("SMB", "Mid-Market", "Enterprise", "Unknown")
export type Segment = typeof Segment.Type
