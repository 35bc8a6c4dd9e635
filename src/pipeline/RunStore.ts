import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { RUN_LOCK_KEY } from "./RunLock.js"
import type { CompanyStage, StageName } from "./StageName.js"

export type RunStatus = "running" | "succeeded" | "failed" | "interrupted"
export type ItemStatus = "succeeded" | "failed" | "skipped"

export interface RunRow {
  readonly id: number
  readonly status: RunStatus
  readonly inputPath: string
  readonly inputSha256: string
  readonly settings: unknown
  readonly counts: Record<string, unknown>
  readonly error: string | null
  readonly startedAt: Date
  readonly finishedAt: Date | null
}

export interface StageRow {
  readonly stage: StageName
  readonly status: string
  readonly total: number
  readonly done: number
  readonly failed: number
  readonly skipped: number
  readonly startedAt: Date | null
  readonly finishedAt: Date | null
}

export interface ItemRecord {
  readonly domain: string
  readonly stage: CompanyStage
  readonly status: ItemStatus
  readonly errorKind: string | null
  readonly errorMessage: string | null
  readonly retryable: boolean
  readonly outputHash: string | null
  readonly inputTokens: number
  readonly outputTokens: number
  /** How many times the company reached this stage in the run (read back only). */
  readonly attempts?: number
}

const lockHigh = Math.floor(RUN_LOCK_KEY / 2 ** 32)
const lockLow = RUN_LOCK_KEY % 2 ** 32

/**
 * A `running` run is alive only while a session holds the run lock (RunLock.ts), and then only the one with
 * the latest heartbeat; any other `running` run lost its process without a word and reads as `interrupted`.
 * `runId` is the run's id column in the statement it goes in.
 */
const runIsStale = (sql: SqlClient.SqlClient, runId: string) => sql.literal(`(
  NOT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = '${lockHigh}'::oid AND objid = '${lockLow}'::oid
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
  OR ${runId} <> (SELECT live.id FROM runs live WHERE live.status = 'running' ORDER BY live.heartbeat_at DESC NULLS LAST, live.id DESC LIMIT 1))`)

/** The status to show: `running` only while the run's process is alive (see runIsStale). */
export const reportedRunStatus = (sql: SqlClient.SqlClient) =>
  sql`CASE WHEN runs.status = 'running' AND ${runIsStale(sql, "runs.id")} THEN 'interrupted' ELSE runs.status END`

const runColumns = (sql: SqlClient.SqlClient) => sql`
  id, ${reportedRunStatus(sql)} AS status, input_path AS "inputPath", input_sha256 AS "inputSha256", settings, counts, error,
  started_at AS "startedAt", finished_at AS "finishedAt"`

/** Runs, their stages and their per-company progress: what `--resume` and the API read. */
export class RunStore extends Effect.Service<RunStore>()("RunStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const create = (input: { inputPath: string; inputSha256: string; settings: unknown }) =>
      sql<{ id: number }>`
        INSERT INTO runs (input_path, input_sha256, settings)
        VALUES (${input.inputPath}, ${input.inputSha256}, ${JSON.stringify(input.settings)}::jsonb)
        RETURNING id`.pipe(Effect.map((rows) => rows[0]!.id))

    const get = (id: number) =>
      sql<RunRow>`SELECT ${runColumns(sql)} FROM runs WHERE id = ${id}`.pipe(Effect.map((rows) => Option.fromNullable(rows[0])))

    const latestUnfinished = sql<RunRow>`
      SELECT ${runColumns(sql)} FROM runs WHERE status IN ('running', 'failed', 'interrupted') ORDER BY id DESC LIMIT 1`.pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]))
    )

    const list = (limit: number) => sql<RunRow>`SELECT ${runColumns(sql)} FROM runs ORDER BY id DESC LIMIT ${limit}`

    const markRunning = (id: number) =>
      sql`UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, heartbeat_at = now() WHERE id = ${id}`

    const finish = (id: number, status: Exclude<RunStatus, "running">, counts: unknown, error: string | null) =>
      sql`
        UPDATE runs SET status = ${status}, counts = ${JSON.stringify(counts)}::jsonb, error = ${error},
          finished_at = now(), heartbeat_at = now()
        WHERE id = ${id}`

    const heartbeat = (id: number, counts: unknown) =>
      sql`UPDATE runs SET heartbeat_at = now(), counts = ${JSON.stringify(counts)}::jsonb WHERE id = ${id}`

    const stages = (id: number) =>
      sql<StageRow>`
        SELECT stage,
          CASE WHEN run_stages.status = 'running' AND runs.status = 'running' AND ${runIsStale(sql, "runs.id")}
            THEN 'interrupted' ELSE run_stages.status END AS status,
          total, done, failed, skipped, run_stages.started_at AS "startedAt", run_stages.finished_at AS "finishedAt"
        FROM run_stages JOIN runs ON runs.id = run_stages.run_id WHERE run_id = ${id}`

    const upsertStage = (
      id: number,
      stage: StageName,
      values: { status: string; total: number; done: number; failed: number; skipped: number; finished: boolean }
    ) =>
      sql`
        INSERT INTO run_stages (run_id, stage, status, total, done, failed, skipped, started_at, finished_at)
        VALUES (${id}, ${stage}, ${values.status}, ${values.total}, ${values.done}, ${values.failed}, ${values.skipped},
          now(), ${values.finished ? new Date() : null})
        ON CONFLICT (run_id, stage) DO UPDATE SET
          status = EXCLUDED.status, total = EXCLUDED.total, done = EXCLUDED.done, failed = EXCLUDED.failed,
          skipped = EXCLUDED.skipped, finished_at = EXCLUDED.finished_at,
          started_at = COALESCE(run_stages.started_at, EXCLUDED.started_at)`

    /**
     * Terminal outcomes only: an item is never left `running`, so a kill needs no repair. With `attempt`, the
     * attempt number is set (never lowered) rather than counted up, so writing the same outcome twice is a no-op.
     */
    const recordItems = (id: number, items: ReadonlyArray<ItemRecord>, attempt?: number) =>
      items.length === 0
        ? Effect.void
        : sql`
        INSERT INTO run_items ${sql.insert(
          items.map((item) => ({
            run_id: id,
            domain: item.domain,
            stage: item.stage,
            status: item.status,
            attempts: attempt ?? 1,
            error_kind: item.errorKind,
            error_message: item.errorMessage,
            retryable: item.retryable,
            output_hash: item.outputHash,
            input_tokens: item.inputTokens,
            output_tokens: item.outputTokens,
            finished_at: new Date(),
            updated_at: new Date()
          }))
        )}
        ON CONFLICT (run_id, stage, domain) DO UPDATE SET
          status = EXCLUDED.status,
          attempts = ${attempt === undefined ? sql`run_items.attempts + 1` : sql`GREATEST(run_items.attempts, EXCLUDED.attempts)`},
          error_kind = EXCLUDED.error_kind,
          error_message = EXCLUDED.error_message, retryable = EXCLUDED.retryable, output_hash = EXCLUDED.output_hash,
          input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
          finished_at = EXCLUDED.finished_at, updated_at = EXCLUDED.updated_at`.pipe(Effect.asVoid)

    const items = (id: number) =>
      sql<ItemRecord>`
        SELECT domain, stage, status, error_kind AS "errorKind", error_message AS "errorMessage", retryable,
          output_hash AS "outputHash", input_tokens AS "inputTokens", output_tokens AS "outputTokens", attempts
        FROM run_items WHERE run_id = ${id}`

    /** Items per stage and status, and the attempts summed over one stage: what a distributed submitter polls. */
    const progress = (id: number, stage: CompanyStage) =>
      Effect.all(
        {
          counts: sql<{ stage: CompanyStage; status: ItemStatus; count: number }>`
            SELECT stage, status, count(*)::int AS count FROM run_items WHERE run_id = ${id} GROUP BY 1, 2`,
          attemptsSum: sql<{ sum: number }>`
            SELECT COALESCE(sum(attempts), 0)::int AS sum FROM run_items WHERE run_id = ${id} AND stage = ${stage}`.pipe(
            Effect.map((rows) => rows[0]!.sum)
          )
        },
        { concurrency: 2 }
      )

    const failuresByKind = (id: number) =>
      sql<{ stage: string; errorKind: string; count: number }>`
        SELECT stage, COALESCE(error_kind, 'Unknown') AS "errorKind", count(*)::int AS count
        FROM run_items WHERE run_id = ${id} AND status = 'failed'
        GROUP BY 1, 2 ORDER BY 1, 3 DESC`

    const tokens = (id: number) =>
      sql<{ input: number; output: number }>`
        SELECT COALESCE(sum(input_tokens), 0)::int AS input, COALESCE(sum(output_tokens), 0)::int AS output
        FROM run_items WHERE run_id = ${id} AND stage = 'enrich'`.pipe(Effect.map((rows) => rows[0]!))

    return {
      create,
      get,
      latestUnfinished,
      list,
      markRunning,
      finish,
      heartbeat,
      stages,
      upsertStage,
      recordItems,
      items,
      progress,
      failuresByKind,
      tokens
    } as const
  })
}) {}
