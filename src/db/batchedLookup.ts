import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Exit, Option, Schema, type Scope } from "effect"
import { windowedBatches } from "./windowedBatches.js"

/**
 * Reads by key, concurrent calls answered by one `WHERE key IN (...)` statement. `select` gets the batch's keys
 * (duplicates included) and returns rows in any order; each call gets the first row whose key is its own.
 */
export const batchedLookup = <A, I>(
  tag: string,
  options: {
    readonly Result: Schema.Schema<A, I>
    readonly key: (row: A) => string
    readonly select: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
  }
): Effect.Effect<(key: string) => Effect.Effect<Option.Option<A>, SqlError>, never, Scope.Scope> => {
  const decode = Schema.decodeUnknown(Schema.Array(options.Result))
  return windowedBatches((keys: ReadonlyArray<string>) =>
    options.select(keys).pipe(
      Effect.flatMap(decode),
      // A stored row its schema refuses is a bug here, as it was for a single-row read.
      Effect.catchTag("ParseError", Effect.die),
      Effect.map((rows) => {
        const byKey = new Map<string, A>()
        for (const row of rows) {
          const key = options.key(row)
          if (!byKey.has(key)) byKey.set(key, row)
        }
        return keys.map((key) => Exit.succeed(Option.fromNullable(byKey.get(key))))
      }),
      Effect.catchAll((error) => Effect.succeed(keys.map(() => Exit.fail(error)))),
      Effect.withSpan(tag, { attributes: { keys: keys.length } })
    )
  )
}
