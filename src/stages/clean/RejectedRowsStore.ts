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

/** Rows per INSERT: bounds one statement's size (its one parameter is the batch as JSON). */
const ROWS_PER_STATEMENT = 5_000

const encode = (rows: ReadonlyArray<Rejection>) =>
  JSON.stringify(rows.map((r) => [r.lineNumber, r.raw, r.reason, r.message, r.duplicateOfLine]))

/**
 * What JSON.stringify makes of a character sanitizeText removes: a `\u0000`–`\u001f` escape (tab, line feed and
 * carriage return come out as `\t`, `\n`, `\r`), `\b` or `\f`, DEL as itself, a lone surrogate as `\ud800`–`\udfff`.
 * An escaped backslash before such letters matches too: a false alarm costs a sanitizing pass, a miss cannot happen.
 */
const MAYBE_UNSTORABLE = /\\u00[01]|\\[bf]|\\ud[89a-f]|\u007F/

/** The batch as one JSON text Postgres can store: sanitized and encoded again only when the text may need it (rare). */
const storableJson = (rows: ReadonlyArray<Rejection>): string => {
  const json = encode(rows)
  if (!MAYBE_UNSTORABLE.test(json)) return json
  return encode(rows.map((r) => ({ ...r, raw: sanitizeDeep(r.raw), message: sanitizeText(r.message) })))
}

/** Every line clean turned away, per run (table rejected_rows): what the summary and `GET /runs/{id}/rejects` report. */
export class RejectedRowsStore extends Effect.Service<RejectedRowsStore>()("RejectedRowsStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // The batch as one JSON parameter of positional rows, unpacked by the server: one native JSON.stringify here
    // instead of an array literal per column escaped element by element in JavaScript, and no key repeated per row.
    const insert = (runId: number, rows: ReadonlyArray<Rejection>, newRun: boolean) =>
      sql`
        INSERT INTO rejected_rows (run_id, line_number, raw, reason, message, duplicate_of_line)
        SELECT ${runId}, (r->>0)::int, r->1, r->>2, r->>3, (r->>4)::int
        FROM jsonb_array_elements(${storableJson(rows)}::jsonb) AS r
        ${newRun ? sql`` : sql`ON CONFLICT (run_id, line_number) DO NOTHING`}`

    /**
     * One multi-row INSERT per batch; a resumed run reads its input again, and lines already recorded stay as they
     * are. `newRun`: the run was created by the pass saving them, so none of its lines is recorded yet and the
     * check for one (a quarter of the insert's work) is left out.
     */
    const saveBatch = (
      runId: number,
      rows: ReadonlyArray<Rejection>,
      options?: { readonly newRun?: boolean }
    ): Effect.Effect<void, SqlError> => {
      const newRun = options?.newRun ?? false
      if (rows.length === 0) return Effect.void
      if (rows.length <= ROWS_PER_STATEMENT) return Effect.asVoid(insert(runId, rows, newRun))
      const slices = Array.from({ length: Math.ceil(rows.length / ROWS_PER_STATEMENT) }, (_, i) =>
        rows.slice(i * ROWS_PER_STATEMENT, (i + 1) * ROWS_PER_STATEMENT)
      )
      return Effect.forEach(slices, (slice) => insert(runId, slice, newRun), { discard: true })
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
      saveBatch: (runId: number, rows: ReadonlyArray<Rejection>, options?: { readonly newRun?: boolean }) =>
        saveBatch(runId, rows, options).pipe(Effect.withSpan("RejectedRowsStore.saveBatch", { attributes: { runId, rows: rows.length } })),
      listByRun
    } as const
  }),
  dependencies: []
}) {}
