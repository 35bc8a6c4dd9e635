import { Data } from "effect"

export class DatabaseError extends Data.TaggedError("DatabaseError")<{
  readonly reason: "Unavailable" | "MigrationFailed" | "LegacyData"
  readonly message: string
  readonly cause?: unknown
}> {}
