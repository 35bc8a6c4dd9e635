import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Rejection } from "./cleanRow.js"

export interface RejectedRow {
  readonly lineNumber: number
  readonly raw: Readonly<Record<string, string>>
  readonly reason: string
  readonly message: string
  readonly duplicateOfLine: number | null
}

/** Every line clean turned away, per run: what the summary and `GET /runs/{id}/rejects` report. */
export class RejectedRowsStore extends Effect.Service<RejectedRowsStore>()("RejectedRowsStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // A resumed run reads its input again: lines already recorded stay as they are.
    const saveBatch = (runId: number, rows: ReadonlyArray<Rejection>) =>
      rows.length === 0
        ? Effect.void
        : sql`
            INSERT INTO rejected_rows ${sql.insert(
              rows.map((r) => ({
                run_id: runId,
                line_number: r.lineNumber,
                raw: JSON.stringify(r.raw),
                reason: r.reason,
                message: r.message,
                duplicate_of_line: r.duplicateOfLine
              }))
            )}
            ON CONFLICT (run_id, line_number) DO NOTHING`.pipe(Effect.asVoid, Effect.withSpan("clean.saveRejections"))

    const listByRun = (runId: number, page: { readonly limit: number; readonly offset: number }) =>
      Effect.all({
        total: sql<{ n: number }>`SELECT count(*)::int AS n FROM rejected_rows WHERE run_id = ${runId}`.pipe(
          Effect.map((r) => r[0]?.n ?? 0)
        ),
        rows: sql<RejectedRow>`
          SELECT line_number AS "lineNumber", raw, reason, message, duplicate_of_line AS "duplicateOfLine"
          FROM rejected_rows WHERE run_id = ${runId}
          ORDER BY line_number LIMIT ${page.limit} OFFSET ${page.offset}`
      })

    return { saveBatch, listByRun } as const
  })
}) {}
