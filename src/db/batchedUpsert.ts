import * as SqlResolver from "@effect/sql/SqlResolver"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Schema, type Scope } from "effect"
import { isDataError } from "./isDataError.js"
import { windowedExecute } from "./windowedExecute.js"

/** Per row of a batch: stored (null), or why the database refused it. */
const Outcome = Schema.NullOr(Schema.instanceOf(SqlError))

/**
 * Upserts of one row each, concurrent calls written by one multi-row statement. `write` is an
 * `INSERT … ON CONFLICT` of its rows; a statement cannot touch one row twice, so the batch keeps the last row of
 * each key (what writing them in turn would leave). A batch the database refuses for its data (SQLSTATE 22, 23,
 * 54) is written again row by row in call order, so only the call whose row is refused fails; any other error
 * (a lost connection) fails every call of the batch, those after it in the row-by-row pass unattempted.
 */
export const batchedUpsert = <A, I>(
  tag: string,
  options: {
    readonly Row: Schema.Schema<A, I>
    readonly key: (row: I) => string
    readonly write: (rows: ReadonlyArray<I>) => Effect.Effect<unknown, SqlError>
  }
): Effect.Effect<(row: A) => Effect.Effect<void, SqlError>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const rowByRow = (rows: ReadonlyArray<I>) =>
      Effect.gen(function* () {
        const outcomes: Array<SqlError | null> = []
        let lost: SqlError | undefined
        for (const row of rows) {
          if (lost !== undefined) {
            outcomes.push(lost)
            continue
          }
          const error = yield* options.write([row]).pipe(Effect.as(null), Effect.catchAll(Effect.succeed))
          if (error !== null && !isDataError(error)) lost = error
          outcomes.push(error)
        }
        return outcomes
      })

    const resolver = yield* SqlResolver.ordered(tag, {
      Request: options.Row,
      Result: Outcome,
      execute: (rows) => {
        const latest = new Map<string, I>()
        for (const row of rows) {
          const key = options.key(row)
          latest.delete(key)
          latest.set(key, row)
        }
        return options.write([...latest.values()]).pipe(
          Effect.as(rows.map(() => null)),
          Effect.catchIf((error) => rows.length > 1 && isDataError(error), () => rowByRow(rows))
        )
      }
    })
    const execute = yield* windowedExecute(resolver)
    return (row: A) =>
      execute(row).pipe(
        Effect.flatMap((refused) => (refused === null ? Effect.void : Effect.fail(refused))),
        Effect.catchTags({ ParseError: Effect.die, ResultLengthMismatch: Effect.die })
      )
  })
