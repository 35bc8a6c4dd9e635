import { Context, type Duration } from "effect"

/**
 * How long concurrent single-row reads and writes wait to share one statement, and how many share it at most;
 * a Reference so tests can make batches form by size alone. A few milliseconds gathers the calls of a stage's
 * fibers that run together; 100 rows keeps a multi-row insert far below Postgres' 65,535 bind parameters.
 */
export class SqlBatching extends Context.Reference<SqlBatching>()("SqlBatching", {
  defaultValue: () => ({ window: "5 millis" as Duration.DurationInput, maxBatchSize: 100 })
}) {}
