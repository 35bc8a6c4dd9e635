import * as SqlResolver from "@effect/sql/SqlResolver"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option, Schema, type Scope } from "effect"
import { windowedExecute } from "./windowedExecute.js"

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
): Effect.Effect<(key: string) => Effect.Effect<Option.Option<A>, SqlError>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const resolver = yield* SqlResolver.grouped(tag, {
      Request: Schema.String,
      RequestGroupKey: (key) => key,
      Result: options.Result,
      ResultGroupKey: (row) => options.key(row),
      execute: (keys) => options.select(keys)
    })
    const execute = yield* windowedExecute(resolver)
    return (key: string) =>
      execute(key).pipe(
        Effect.map((rows) => Option.fromNullable(rows[0])),
        // A stored row its schema refuses is a bug here, as it was for a single-row read.
        Effect.catchTag("ParseError", Effect.die)
      )
  })
