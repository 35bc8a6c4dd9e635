import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Rejection } from "../src/stages/clean/cleanRow.js"
import { RejectedRowsStore } from "../src/stages/clean/RejectedRowsStore.js"
import { TestDatabaseLive, testDatabaseKind } from "./support/TestDatabase.js"

const layer = RejectedRowsStore.Default.pipe(Layer.provideMerge(TestDatabaseLive()))

const newRun = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [run] = yield* sql<{ id: number }>`
    INSERT INTO runs (input_path, input_sha256) VALUES ('/data/companies.csv', ${"0".repeat(64)}) RETURNING id::int AS id`
  return run!.id
})

const rejection = (lineNumber: number, overrides: Partial<Rejection> = {}): Rejection => ({
  lineNumber,
  raw: { "Company Name": `Company ${lineNumber}`, Website: "", Notes: "multi\nline, «quoted» \"text\"" },
  reason: "EmptyDomain",
  message: "domain is empty",
  duplicateOfLine: null,
  ...overrides
})

describe(`RejectedRowsStore (${testDatabaseKind})`, () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("saves a batch and lists it back in line order, raw values intact", () =>
      Effect.gen(function* () {
        const store = yield* RejectedRowsStore
        const runId = yield* newRun
        yield* store.saveBatch(runId, [
          rejection(9, { reason: "Duplicate", message: "domain acme.com already appears on line 2", duplicateOfLine: 2 }),
          rejection(4),
          rejection(7, { reason: "MissingEmployeeCount", message: 'employee_count is "NA"' })
        ])
        const page = yield* store.listByRun(runId, { limit: 10, offset: 0 })
        expect(page.total).toBe(3)
        expect(page.rows).toEqual([
          { lineNumber: 4, raw: rejection(4).raw, reason: "EmptyDomain", message: "domain is empty", duplicateOfLine: null },
          { lineNumber: 7, raw: rejection(7).raw, reason: "MissingEmployeeCount", message: 'employee_count is "NA"', duplicateOfLine: null },
          {
            lineNumber: 9,
            raw: rejection(9).raw,
            reason: "Duplicate",
            message: "domain acme.com already appears on line 2",
            duplicateOfLine: 2
          }
        ])
      }))

    it.effect("keeps what a line already has when it is saved again (a resumed run)", () =>
      Effect.gen(function* () {
        const store = yield* RejectedRowsStore
        const runId = yield* newRun
        yield* store.saveBatch(runId, [rejection(3)])
        yield* store.saveBatch(runId, [rejection(3, { reason: "InvalidDomain", message: "changed" }), rejection(5)])
        const page = yield* store.listByRun(runId, { limit: 10, offset: 0 })
        expect(page.rows.map((r) => [r.lineNumber, r.reason])).toEqual([
          [3, "EmptyDomain"],
          [5, "EmptyDomain"]
        ])
      }))

    it.effect("records a new run's lines without the conflict check, and a resumed pass keeps what they have", () =>
      Effect.gen(function* () {
        const store = yield* RejectedRowsStore
        const runId = yield* newRun
        yield* store.saveBatch(runId, [rejection(3), rejection(4)], { newRun: true })
        yield* store.saveBatch(runId, [rejection(3, { reason: "InvalidDomain", message: "changed" }), rejection(5)])
        const page = yield* store.listByRun(runId, { limit: 10, offset: 0 })
        expect(page.rows.map((r) => [r.lineNumber, r.reason])).toEqual([
          [3, "EmptyDomain"],
          [4, "EmptyDomain"],
          [5, "EmptyDomain"]
        ])
      }))

    it.effect("stores untrusted text as Postgres can: NUL, other controls and lone surrogates dropped, tabs and line breaks kept", () =>
      Effect.gen(function* () {
        const store = yield* RejectedRowsStore
        const runId = yield* newRun
        yield* store.saveBatch(
          runId,
          [
            rejection(2),
            rejection(3, {
              raw: { "Company\u0000 Name": "Acme\u0000 Inc\u0007", Website: "\uD800acme.com", Notes: "a\tb\r\nc\u007F" },
              message: "domain \uDC00acme.com\u0000 is not valid"
            }),
            // Backslashes that only look like escapes of such characters once encoded are text like any other.
            rejection(4, { raw: { Path: "C:\\bin\\fonts", Pattern: "\\u0001 \\ud800" } })
          ],
          { newRun: true }
        )
        const page = yield* store.listByRun(runId, { limit: 10, offset: 0 })
        expect(page.rows.map((r) => [r.raw, r.message])).toEqual([
          [rejection(2).raw, "domain is empty"],
          [{ "Company Name": "Acme Inc", Website: "acme.com", Notes: "a\tb\r\nc" }, "domain acme.com is not valid"],
          [{ Path: "C:\\bin\\fonts", Pattern: "\\u0001 \\ud800" }, "domain is empty"]
        ])
      }))

    it.effect("does nothing for an empty batch, and keeps runs apart", () =>
      Effect.gen(function* () {
        const store = yield* RejectedRowsStore
        const first = yield* newRun
        const second = yield* newRun
        yield* store.saveBatch(first, [])
        yield* store.saveBatch(second, [rejection(2)])
        expect(yield* store.listByRun(first, { limit: 10, offset: 0 })).toEqual({ total: 0, rows: [] })
        expect((yield* store.listByRun(second, { limit: 10, offset: 0 })).total).toBe(1)
      }))

    it.effect("saves batches beyond one statement's parameter limit and pages through them", () =>
      Effect.gen(function* () {
        const store = yield* RejectedRowsStore
        const runId = yield* newRun
        const count = 12_345
        yield* store.saveBatch(runId, Array.from({ length: count }, (_, i) => rejection(i + 2)))
        const first = yield* store.listByRun(runId, { limit: 100, offset: 0 })
        expect(first.total).toBe(count)
        expect(first.rows.length).toBe(100)
        expect(first.rows[0]!.lineNumber).toBe(2)
        const last = yield* store.listByRun(runId, { limit: 100, offset: count - 5 })
        expect(last.rows.map((r) => r.lineNumber)).toEqual([12_342, 12_343, 12_344, 12_345, 12_346])
      }))
  })
})
