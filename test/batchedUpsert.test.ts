import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Schema } from "effect"
import { batchedUpsert } from "../src/db/batchedUpsert.js"
import { SqlBatching } from "../src/db/SqlBatching.js"

const Row = Schema.Struct({ key: Schema.String, value: Schema.Number })
type Row = typeof Row.Type

const sqlError = (code: string) => new SqlError({ message: `failed (${code})`, cause: { code } })
const outOfRange = sqlError("22003")
const connectionLost = sqlError("08006")

/** A write that records each statement's rows and fails the statements `fail` picks. */
const recordingWrite = (fail: (rows: ReadonlyArray<Row>) => SqlError | undefined = () => undefined) => {
  const statements: Array<ReadonlyArray<Row>> = []
  const write = (rows: ReadonlyArray<Row>) =>
    Effect.suspend(() => {
      statements.push(rows)
      const error = fail(rows)
      return error ? Effect.fail(error) : Effect.void
    })
  return { statements, write }
}

/** Batches form by size alone: the window is far longer than any test. */
const bySize = (size: number) => Effect.provideService(SqlBatching, { window: "1 hour", maxBatchSize: size })

const upsertAll = (rows: ReadonlyArray<Row>, write: (rows: ReadonlyArray<Row>) => Effect.Effect<void, SqlError>) =>
  Effect.gen(function* () {
    const upsert = yield* batchedUpsert("test", { Row, key: (row) => row.key, write }).pipe(bySize(rows.length))
    return yield* Effect.forEach(rows, (row) => Effect.exit(upsert(row)), { concurrency: "unbounded" })
  })

/** Each call's error message (undefined: stored); errors are compared by message, spans copy them on the way. */
const failureOf = (exit: Exit.Exit<void, SqlError>) =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause))?.message : undefined

const rows = (...values: ReadonlyArray<[string, number]>) => values.map(([key, value]) => ({ key, value }))

describe("batchedUpsert", () => {
  it.scoped("concurrent calls are one statement that keeps the last row of each key, in call order", () =>
    Effect.gen(function* () {
      const { statements, write } = recordingWrite()
      const exits = yield* upsertAll(rows(["a", 1], ["b", 2], ["a", 3], ["c", 4], ["b", 5]), write)
      expect(exits.every(Exit.isSuccess)).toBe(true)
      expect(statements).toEqual([rows(["a", 3], ["c", 4], ["b", 5])])
    }))

  it.scoped("a row refused for its data fails only its own call: the batch is written again row by row", () =>
    Effect.gen(function* () {
      const { statements, write } = recordingWrite((batch) => (batch.some((r) => r.value < 0) ? outOfRange : undefined))
      const exits = yield* upsertAll(rows(["a", 1], ["bad", -1], ["c", 3], ["a", 4]), write)
      expect(exits.map(failureOf)).toEqual([undefined, outOfRange.message, undefined, undefined])
      // One multi-row attempt, then each call's own row in call order, so "a" still ends as 4.
      expect(statements).toEqual([rows(["bad", -1], ["c", 3], ["a", 4]), ...rows(["a", 1], ["bad", -1], ["c", 3], ["a", 4]).map((r) => [r])])
    }))

  it.scoped("a lost connection fails every call of the batch", () =>
    Effect.gen(function* () {
      const { statements, write } = recordingWrite(() => connectionLost)
      const exits = yield* upsertAll(rows(["a", 1], ["b", 2], ["c", 3]), write)
      expect(exits.map(failureOf)).toEqual([connectionLost.message, connectionLost.message, connectionLost.message])
      expect(statements).toHaveLength(1)
    }))

  it.scoped("a connection lost during the row-by-row pass fails the rows from there on, unattempted", () =>
    Effect.gen(function* () {
      const { statements, write } = recordingWrite((batch) =>
        batch.length > 1 ? outOfRange : batch[0]!.key === "bad" ? outOfRange : batch[0]!.key === "c" ? connectionLost : undefined
      )
      const exits = yield* upsertAll(rows(["a", 1], ["bad", 2], ["c", 3], ["d", 4]), write)
      expect(exits.map(failureOf)).toEqual([undefined, outOfRange.message, connectionLost.message, connectionLost.message])
      expect(statements.slice(1)).toEqual(rows(["a", 1], ["bad", 2], ["c", 3]).map((r) => [r]))
    }))

  it.scoped("a single call refused for its data fails with the database's error", () =>
    Effect.gen(function* () {
      const { statements, write } = recordingWrite(() => outOfRange)
      const exits = yield* upsertAll(rows(["a", 1]), write)
      expect(exits.map(failureOf)).toEqual([outOfRange.message])
      expect(statements).toHaveLength(1)
    }))

  it.scopedLive("inside a transaction a call is written at once, on the caller's connection, not held for a window", () =>
    Effect.gen(function* () {
      const { statements, write } = recordingWrite()
      const upsert = yield* batchedUpsert("test", { Row, key: (row) => row.key, write }).pipe(bySize(100))
      // Only its presence matters here: the write above never touches a connection.
      yield* upsert({ key: "a", value: 1 }).pipe(
        Effect.provideService(SqlClient.TransactionConnection, [null as never, 0]),
        Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error("held for the window") })
      )
      expect(statements).toEqual([rows(["a", 1])])
    }))
})
