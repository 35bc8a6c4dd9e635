import { Data } from "effect"

/** Distributed mode cannot start (no Postgres server, a port in use...). */
export class ClusterError extends Data.TaggedError("ClusterError")<{
  readonly reason: "NeedsServer" | "Unavailable"
  readonly message: string
}> {}
