import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import { sanitizeText } from "../schema/sanitizeText.js"
import { RUN_LOCK_KEY } from "./RunLock.js"

export const RunStatus = Schema.Literal("running", "succeeded", "failed", "interrupted")
export type RunStatus = typeof RunStatus.Type
export const ItemStatus = Schema.Literal("succeeded", "failed", "skipped")
export type ItemStatus = typeof ItemStatus.Type

export const RunRow = Schema.Struct({
  id: Schema.Number,
  status: RunStatus,
  inputPath: Schema.String,
  inputSha256: Schema.String,
  settings: Schema.Unknown,
  counts: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  error: Schema.NullOr(Schema.String),
  startedAt: Schema.DateFromSelf,
  finishedAt: Schema.NullOr(Schema.DateFromSelf)
})
export type RunRow = typeof RunRow.Type

export const StageRow = Schema.Struct({
  stage: Schema.String,
  status: Schema.String,
  total: Schema.Number,
  done: Schema.Number,
  failed: Schema.Number,
  skipped: Schema.Number,
  rejected: Schema.Number,
  duplicates: Schema.Number,
  startedAt: Schema.NullOr(Schema.DateFromSelf),
  finishedAt: Schema.NullOr(Schema.DateFromSelf)
})
export type StageRow = typeof StageRow.Type

/** A stage's row of a run as its counters have it: what run_stages is written from. */
export interface StageDraft {
  readonly stage: string
  readonly status: string
  readonly total: number
  readonly done: number
  readonly failed: number
  readonly skipped: number
  readonly rejected: number
  readonly duplicates: number
  readonly finished: boolean
}

/** A company's terminal outcome at one stage, as a stage produces it. */
export interface ItemDraft {
  readonly domain: string
  readonly stage: string
  readonly status: ItemStatus
  readonly errorKind: string | null
  readonly errorMessage: string | null
  readonly retryable: boolean
  readonly outputHash: string | null
  readonly inputTokens: number
  readonly outputTokens: number
}

export const ItemRecord = Schema.Struct({
  domain: Schema.String,
  stage: Schema.String,
  status: ItemStatus,
  errorKind: Schema.NullOr(Schema.String),
  errorMessage: Schema.NullOr(Schema.String),
  retryable: Schema.Boolean,
  outputHash: Schema.NullOr(Schema.String),
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  /** How many times the company reached this stage in the run. */
  attempts: Schema.Number
})
export type ItemRecord = typeof ItemRecord.Type

/** Rows as the store's schema says they are: a row that is not is a defect (a migration gone wrong), named. */
const decodeRows = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(Schema.Array(schema))
  return <E, R>(rows: Effect.Effect<ReadonlyArray<unknown>, E, R>): Effect.Effect<ReadonlyArray<A>, E, R> =>
    Effect.flatMap(rows, (r) => Effect.orDie(decode(r)))
}

const ProgressCount = Schema.Struct({ stage: Schema.String, status: ItemStatus, count: Schema.Number })
const Sum = Schema.Struct({ sum: Schema.Number })
const FailureCount = Schema.Struct({ stage: Schema.String, errorKind: Schema.String, count: Schema.Number })
const Tokens = Schema.Struct({ input: Schema.Number, output: Schema.Number })
const Completion = Schema.Struct({ failures: Schema.Array(FailureCount), tokens: Tokens })
const ids = decodeRows(Schema.Struct({ id: Schema.Number }))
const runs = decodeRows(RunRow)
const stageRecords = decodeRows(StageRow)
const itemRecords = decodeRows(ItemRecord)
const progressCounts = decodeRows(ProgressCount)
const sums = decodeRows(Sum)
const failureCounts = decodeRows(FailureCount)
const tokenSums = decodeRows(Tokens)
const completions = decodeRows(Completion)

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
      ids(sql`
        INSERT INTO runs (input_path, input_sha256, settings)
        VALUES (${sanitizeText(input.inputPath)}, ${input.inputSha256}, ${JSON.stringify(input.settings)}::jsonb)
        RETURNING id`).pipe(Effect.map((rows) => rows[0]!.id))

    const get = (id: number) =>
      runs(sql`SELECT ${runColumns(sql)} FROM runs WHERE id = ${id}`).pipe(Effect.map((rows) => Option.fromNullable(rows[0])))

    const latestUnfinished = runs(sql`
      SELECT ${runColumns(sql)} FROM runs WHERE status IN ('running', 'failed', 'interrupted') ORDER BY id DESC LIMIT 1`).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]))
    )

    const list = (limit: number) => runs(sql`SELECT ${runColumns(sql)} FROM runs ORDER BY id DESC LIMIT ${limit}`)

    const markRunning = (id: number) =>
      sql`UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, heartbeat_at = now() WHERE id = ${id}`

    const heartbeat = (id: number, counts: unknown) =>
      sql`UPDATE runs SET heartbeat_at = now(), counts = ${JSON.stringify(counts)}::jsonb WHERE id = ${id}`

    const stages = (id: number) =>
      stageRecords(sql`
        SELECT stage,
          CASE WHEN run_stages.status = 'running' AND runs.status = 'running' AND ${runIsStale(sql, "runs.id")}
            THEN 'interrupted' ELSE run_stages.status END AS status,
          total, done, failed, skipped, rejected, duplicates,
          run_stages.started_at AS "startedAt", run_stages.finished_at AS "finishedAt"
        FROM run_stages JOIN runs ON runs.id = run_stages.run_id WHERE run_id = ${id}`)

    /** Every stage's row of a run in one statement (one round trip per heartbeat, not one per stage). */
    const upsertStages = (id: number, rows: ReadonlyArray<StageDraft>) => sql`
        INSERT INTO run_stages ${sql.insert(
          rows.map((r) => ({
            run_id: id,
            stage: r.stage,
            status: r.status,
            total: r.total,
            done: r.done,
            failed: r.failed,
            skipped: r.skipped,
            rejected: r.rejected,
            duplicates: r.duplicates,
            started_at: new Date(),
            finished_at: r.finished ? new Date() : null
          }))
        )}
        ON CONFLICT (run_id, stage) DO UPDATE SET
          status = EXCLUDED.status, total = EXCLUDED.total, done = EXCLUDED.done, failed = EXCLUDED.failed,
          skipped = EXCLUDED.skipped, rejected = EXCLUDED.rejected, duplicates = EXCLUDED.duplicates,
          finished_at = EXCLUDED.finished_at,
          started_at = COALESCE(run_stages.started_at, EXCLUDED.started_at)`

    const finish = (id: number, status: Exclude<RunStatus, "running">, counts: unknown, error: string | null) =>
      sql`
        UPDATE runs SET status = ${status}, counts = ${JSON.stringify(counts)}::jsonb, error = ${error === null ? null : sanitizeText(error)},
          finished_at = now(), heartbeat_at = now()
        WHERE id = ${id}`

    /**
     * Terminal outcomes only: an item is never left `running`, so a kill needs no repair. With `attempt`, the
     * attempt number is set (never lowered) rather than counted up, so writing the same outcome twice is a no-op.
     */
    const recordItems = (id: number, items: ReadonlyArray<ItemDraft>, attempt?: number) =>
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
            error_message: item.errorMessage === null ? null : sanitizeText(item.errorMessage),
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
      itemRecords(sql`
        SELECT domain, stage, status, error_kind AS "errorKind", error_message AS "errorMessage", retryable,
          output_hash AS "outputHash", input_tokens AS "inputTokens", output_tokens AS "outputTokens", attempts
        FROM run_items WHERE run_id = ${id}`)

    /** Items per stage and status, and the attempts summed over one stage: what a distributed submitter polls. */
    const progress = (id: number, stage: string) =>
      Effect.all(
        {
          counts: progressCounts(sql`
            SELECT stage, status, count(*)::int AS count FROM run_items WHERE run_id = ${id} GROUP BY 1, 2`),
          attemptsSum: sums(sql`
            SELECT COALESCE(sum(attempts), 0)::int AS sum FROM run_items WHERE run_id = ${id} AND stage = ${stage}`).pipe(
            Effect.map((rows) => rows[0]?.sum ?? 0)
          )
        },
        { concurrency: 2 }
      )

    const failuresQuery = (id: number) => sql`
        SELECT stage, COALESCE(error_kind, 'Unknown') AS "errorKind", count(*)::int AS count
        FROM run_items WHERE run_id = ${id} AND status = 'failed'
        GROUP BY 1, 2 ORDER BY 1, 3 DESC`
    const failuresByKind = (id: number) => failureCounts(failuresQuery(id))

    const tokensQuery = (id: number) => sql`
        SELECT COALESCE(sum(input_tokens), 0)::int AS input, COALESCE(sum(output_tokens), 0)::int AS output
        FROM run_items WHERE run_id = ${id} AND input_tokens + output_tokens > 0`
    const tokens = (id: number) => tokenSums(tokensQuery(id)).pipe(Effect.map((rows) => rows[0] ?? { input: 0, output: 0 }))

    /**
     * A run's end in one statement, so one round trip and one commit: its row and its stages' rows written, and
     * what its items add up to (failures by kind, tokens) read in the same snapshot.
     */
    const complete = (
      id: number,
      status: Exclude<RunStatus, "running">,
      counts: unknown,
      error: string | null,
      stageRows: ReadonlyArray<StageDraft>
    ) =>
      completions(sql`
        WITH stages AS (${upsertStages(id, stageRows)}), finished AS (${finish(id, status, counts, error)})
        SELECT
          (SELECT COALESCE(json_agg(f ORDER BY f.stage, f.count DESC), '[]'::json) FROM (${failuresQuery(id)}) f) AS failures,
          (SELECT row_to_json(t) FROM (${tokensQuery(id)}) t) AS tokens`).pipe(Effect.map((rows) => rows[0]!))

    return {
      create,
      get,
      latestUnfinished,
      list,
      markRunning,
      finish,
      heartbeat,
      stages,
      upsertStages,
      recordItems,
      items,
      progress,
      failuresByKind,
      tokens,
      complete
    } as const
  })
}) {}
