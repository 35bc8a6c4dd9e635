import * as RequestResolver from "@effect/experimental/RequestResolver"
import { SqlClient } from "@effect/sql"
import type { SqlResolver } from "@effect/sql/SqlResolver"
import { Clock, Effect, Option, type Scope } from "effect"
import { SqlBatching } from "./SqlBatching.js"

/**
 * The resolver's calls from any fiber gathered for a window (SqlBatching) into one batch (dataLoader). A call
 * inside a transaction goes straight to the resolver instead: the loader runs its batches on a fiber of its own,
 * outside the caller's transaction, where they would miss (or wait on the locks of) what the transaction wrote.
 */
export const windowedExecute = <T extends string, I, A, E>(
  resolver: SqlResolver<T, I, A, E, never>
): Effect.Effect<SqlResolver<T, I, A, E, never>["execute"], never, Scope.Scope> =>
  Effect.gen(function* () {
    const batching = yield* SqlBatching
    // The window is wall-clock time: under a test clock that nobody advances, a batch would never start.
    const loader = yield* RequestResolver.dataLoader(resolver, batching).pipe(Effect.withClock(Clock.make()))
    const batched = resolver.makeExecute(loader)
    return (input: I) =>
      Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
        Option.isSome(transaction) ? resolver.execute(input) : batched(input)
      )
  })
