import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Schema } from "effect"
import { sanitizeDeep, sanitizeText } from "../../schema/sanitizeText.js"
import type { Rejection } from "./cleanRow.js"

export const RejectedRow = Schema.Struct({
  lineNumber: Schema.Number,
  /** The record as read, keyed by the file's header names. */
  raw: Schema.Record({ key: Schema.String, value: Schema.String }),
  /** A `RejectReason`; rows of older versions may carry reasons this one no longer produces. */
  reason: Schema.String,
  message: Schema.String,
  duplicateOfLine: Schema.NullOr(Schema.Number)
})
export type RejectedRow = typeof RejectedRow.Type

const decodeRows = Schema.decodeUnknown(Schema.Array(RejectedRow))
const Count = Schema.decodeUnknown(Schema.Array(Schema.Struct({ n: Schema.Number })))

/** Rows per INSERT: bounds one statement's size (its parameters are one array per column). */
const ROWS_PER_STATEMENT = 5_000

/** Every line clean turned away, per run (table rejected_rows): what the summary and `GET /runs/{id}/rejects` report. */
export class RejectedRowsStore extends Effect.Service<RejectedRowsStore>()("RejectedRowsStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // One array parameter per column (unnest): the statement and its parse stay the same size whatever the rows.
    const insert = (runId: number, rows: ReadonlyArray<Rejection>) =>
      sql`
        INSERT INTO rejected_rows (run_id, line_number, raw, reason, message, duplicate_of_line)
        SELECT ${runId}, * FROM unnest(
          ${rows.map((r) => r.lineNumber)}::int[],
          ${rows.map((r) => JSON.stringify(sanitizeDeep(r.raw)))}::jsonb[],
          ${rows.map((r) => r.reason)}::text[],
          ${rows.map((r) => sanitizeText(r.message))}::text[],
          ${rows.map((r) => r.duplicateOfLine)}::int[]
        )
        ON CONFLICT (run_id, line_number) DO NOTHING`

    /** One multi-row INSERT per batch; a resumed run reads its input again, and lines already recorded stay as they are. */
    const saveBatch = (runId: number, rows: ReadonlyArray<Rejection>): Effect.Effect<void, SqlError> => {
      if (rows.length === 0) return Effect.void
      if (rows.length <= ROWS_PER_STATEMENT) return Effect.asVoid(insert(runId, rows))
      const slices = Array.from({ length: Math.ceil(rows.length / ROWS_PER_STATEMENT) }, (_, i) =>
        rows.slice(i * ROWS_PER_STATEMENT, (i + 1) * ROWS_PER_STATEMENT)
      )
      return Effect.forEach(slices, (slice) => insert(runId, slice), { discard: true })
    }

    /** A page of a run's rejected lines in line order, with how many there are in all. */
    const listByRun = (
      runId: number,
      page: { readonly limit: number; readonly offset: number }
    ): Effect.Effect<{ total: number; rows: Array<RejectedRow> }, SqlError> =>
      Effect.all({
        total: sql`SELECT count(*)::int AS n FROM rejected_rows WHERE run_id = ${runId}`.pipe(
          Effect.flatMap((r) => Effect.orDie(Count(r))),
          Effect.map((r) => r[0]?.n ?? 0)
        ),
        rows: sql`
          SELECT line_number AS "lineNumber", raw, reason, message, duplicate_of_line AS "duplicateOfLine"
          FROM rejected_rows WHERE run_id = ${runId}
          ORDER BY line_number LIMIT ${page.limit} OFFSET ${page.offset}`.pipe(
          Effect.flatMap((rows) => Effect.orDie(decodeRows(rows))),
          Effect.map((rows) => [...rows])
        )
      })

    return {
      saveBatch: (runId: number, rows: ReadonlyArray<Rejection>) =>
        saveBatch(runId, rows).pipe(Effect.withSpan("RejectedRowsStore.saveBatch", { attributes: { runId, rows: rows.length } })),
      listByRun
    } as const
  }),
  dependencies: []
}) {}
