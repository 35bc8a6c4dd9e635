import { Data } from "effect"

export class DatabaseError extends Data.TaggedError("DatabaseError")<{
  readonly reason: "Locked" | "Unavailable" | "MigrationFailed"
  readonly message: string
  readonly cause?: unknown
}> {}
