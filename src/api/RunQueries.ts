import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import { inPipelineOrder } from "../pipeline/definePipeline.js"
import { Pipeline } from "../pipeline/Pipeline.js"
import { reportedRunStatus, RunRow, RunStore, type StageRow } from "../pipeline/RunStore.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { encodeCursor, type Cursor } from "./Cursor.js"
import type { RejectedRowList, RunDetail, RunList, RunSummary } from "./ResponseSchemas.js"

const iso = (date: Date | null) => (date ? date.toISOString() : null)
const durationMs = (start: Date | null, end: Date | null) => (start && end ? Math.max(0, end.getTime() - start.getTime()) : null)

const summary = (run: RunRow): typeof RunSummary.Type => ({
  id: run.id,
  status: run.status,
  input_path: run.inputPath,
  input_sha256: run.inputSha256,
  started_at: run.startedAt.toISOString(),
  finished_at: iso(run.finishedAt),
  duration_ms: durationMs(run.startedAt, run.finishedAt),
  counts: run.counts ?? {},
  error: run.error
})

const stage = (row: StageRow) => ({
  stage: row.stage,
  status: row.status,
  total: row.total,
  done: row.done,
  failed: row.failed,
  skipped: row.skipped,
  rejected: row.rejected,
  duplicates: row.duplicates,
  started_at: iso(row.startedAt),
  finished_at: iso(row.finishedAt),
  duration_ms: durationMs(row.startedAt, row.finishedAt)
})


export class RunQueries extends Effect.Service<RunQueries>()("RunQueries", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const runs = yield* RunStore
    const rejected = yield* RejectedRowsStore

    const list = (limit: number, after: Cursor | undefined) =>
      Effect.gen(function* () {
        const page = sql`
          SELECT id, ${reportedRunStatus(sql)} AS status, input_path AS "inputPath", input_sha256 AS "inputSha256", counts, error,
            started_at AS "startedAt", finished_at AS "finishedAt"
          FROM runs
          WHERE ${after ? sql`id < ${after.id}` : sql.literal("TRUE")}
          ORDER BY id DESC
          LIMIT ${limit + 1}`.pipe(Effect.flatMap((rows) => Effect.orDie(Schema.decodeUnknown(Schema.Array(RunRow))(rows))))
        const total = sql<{ total: number }>`SELECT count(*) AS total FROM runs`.pipe(Effect.map((rows) => rows[0]?.total ?? 0))
        const [rows, count] = yield* Effect.all([page, total], { concurrency: 2 })
        const shown = rows.slice(0, limit)
        const last = shown.at(-1)
        return {
          total: count,
          runs: shown.map(summary),
          next_cursor: rows.length > limit && last ? encodeCursor({ scope: "runs", key: last.id, id: last.id }) : null
        } satisfies typeof RunList.Type
      })

    const detail = (id: number) =>
      Effect.gen(function* () {
        const run = yield* runs.get(id)
        if (Option.isNone(run)) return Option.none()
        const [stages, failures, tokens] = yield* Effect.all([runs.stages(id), runs.failuresByKind(id), runs.tokens(id)])
        return Option.some({
          ...summary(run.value),
          settings: run.value.settings,
          // Pipeline order, so a run's stages read top to bottom as they ran.
          stages: inPipelineOrder(Pipeline, stages).map(stage),
          failures: failures.map((f) => ({ stage: f.stage, error_kind: f.errorKind, count: f.count })),
          tokens
        } satisfies typeof RunDetail.Type)
      })

    const exists = (id: number) =>
      sql<{ id: number }>`SELECT id FROM runs WHERE id = ${id}`.pipe(Effect.map((rows) => rows.length > 0))

    const rejects = (runId: number, limit: number, offset: number) =>
      Effect.gen(function* () {
        if (!(yield* exists(runId))) return Option.none()
        const page = yield* rejected.listByRun(runId, { limit, offset })
        return Option.some({
          run_id: runId,
          total: page.total,
          rejects: page.rows.map((row) => ({
            line_number: row.lineNumber,
            raw: row.raw,
            reason: row.reason,
            message: row.message,
            duplicate_of_line: row.duplicateOfLine ?? null
          })),
          next_offset: offset + page.rows.length < page.total ? offset + page.rows.length : null
        } satisfies typeof RejectedRowList.Type)
      })

    return { list, detail, rejects } as const
  })
}) {}
