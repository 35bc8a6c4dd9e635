import { Data } from "effect"

/** The enricher cannot start: unreadable ICP file, a provider without what it needs. */
export class EnricherSetupError extends Data.TaggedError("EnricherSetupError")<{ readonly message: string }> {}
