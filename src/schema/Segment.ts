import { Schema } from "effect"

export const Segment = Schema.Literal("SMB", "Mid-Market", "Enterprise")
export type Segment = typeof Segment.Type
