import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Exit, Schema, type Scope } from "effect"
import { isDataError } from "./isDataError.js"
import { windowedBatches } from "./windowedBatches.js"

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
    const encode = Schema.encode(options.Row)

    const rowByRow = (rows: ReadonlyArray<I>) =>
      Effect.gen(function* () {
        const exits: Array<Exit.Exit<void, SqlError>> = []
        let lost: SqlError | undefined
        for (const row of rows) {
          if (lost !== undefined) {
            exits.push(Exit.fail(lost))
            continue
          }
          const outcome = yield* Effect.either(options.write([row]))
          if (outcome._tag === "Left" && !isDataError(outcome.left)) lost = outcome.left
          exits.push(outcome._tag === "Left" ? Exit.fail(outcome.left) : Exit.void)
        }
        return exits
      })

    const execute = yield* windowedBatches((rows: ReadonlyArray<I>) => {
      const latest = new Map<string, I>()
      for (const row of rows) {
        const key = options.key(row)
        latest.delete(key)
        latest.set(key, row)
      }
      return options.write([...latest.values()]).pipe(
        Effect.as(rows.map(() => Exit.void)),
        Effect.catchAll((error) =>
          rows.length > 1 && isDataError(error) ? rowByRow(rows) : Effect.succeed(rows.map(() => Exit.fail(error)))
        ),
        Effect.withSpan(tag, { attributes: { rows: rows.length } })
      )
    })

    return (row: A) => encode(row).pipe(Effect.catchTag("ParseError", Effect.die), Effect.flatMap(execute))
  })
