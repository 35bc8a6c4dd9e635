import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { isDataError } from "../db/isDataError.js"
import type { CompanyRun } from "./CompanyRun.js"
import { finalStage, type Pipeline } from "./definePipeline.js"
import { type ItemDraft, RunStore } from "./RunStore.js"

/** The terminal items one company's pass records: each selected stage's, then the sink's. */
export const itemsOf = (pipeline: Pipeline, company: CompanyRun, selected: ReadonlySet<string>): Array<ItemDraft> => {
  const items: Array<ItemDraft> = []
  for (const stage of pipeline.companyStages) {
    if (!stage.item || !selected.has(stage.name) || !company.has(stage.name)) continue
    const item = stage.item(company.company, company.get(stage))
    if (item) items.push(item)
  }
  if (pipeline.sink && selected.has(pipeline.sink.name)) items.push(pipeline.sink.item(company.company))
  return items
}

const commitBatch = (
  pipeline: Pipeline,
  runId: number,
  batch: ReadonlyArray<CompanyRun>,
  selected: ReadonlySet<string>,
  attempt: number | undefined
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const runs = yield* RunStore
    const items = batch.flatMap((company) => itemsOf(pipeline, company, selected))
    const sink = pipeline.sink && selected.has(pipeline.sink.name) ? pipeline.sink : undefined
    if (!sink && items.length === 0) return batch.length
    yield* sql.withTransaction(
      Effect.gen(function* () {
        if (sink) yield* sink.run(batch)
        yield* runs.recordItems(runId, items, attempt)
      })
    )
    return batch.length
  })

/** The company's last recorded stage, failed for good: its data cannot be stored as it is. */
const recordUnstorable = (
  pipeline: Pipeline,
  runId: number,
  company: CompanyRun,
  selected: ReadonlySet<string>,
  attempt: number | undefined,
  error: SqlError
) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const stage = finalStage(pipeline, selected)
    if (stage === undefined || !isDataError(error)) return yield* error
    yield* Effect.logWarning(`${company.company.domain}: could not be stored, recorded as failed`, error.message).pipe(
      Effect.annotateLogs({ event: "company.unstorable", domain: company.company.domain })
    )
    yield* runs.recordItems(
      runId,
      [
        {
          domain: company.company.domain,
          stage,
          status: "failed",
          errorKind: "Unstorable",
          errorMessage: `the database refused this company's data: ${describeSqlError(error)}`.slice(0, 1000),
          retryable: false,
          outputHash: null,
          inputTokens: 0,
          outputTokens: 0
        }
      ],
      attempt
    )
    return 0
  })

const describeSqlError = (error: SqlError) => {
  const inner = error.cause instanceof Error ? error.cause.message : ""
  return inner === "" ? error.message : `${error.message}: ${inner}`
}

/**
 * The sink's write and every stage's items in one transaction, so progress is never ahead of (or behind) the
 * companies it describes. `attempt` pins the items' attempt number (a replayed workflow step writes the same row
 * twice without counting twice); without it, it counts up. A batch the database refuses is written again company
 * by company: the one it still refuses is recorded failed (`Unstorable`, not retryable) and the others persist;
 * any other database error (a lost connection) fails the run. Returns how many companies were stored.
 */
export const commitCompanies = (
  pipeline: Pipeline,
  runId: number,
  batch: ReadonlyArray<CompanyRun>,
  selected: ReadonlySet<string>,
  attempt?: number
) =>
  commitBatch(pipeline, runId, batch, selected, attempt).pipe(
    Effect.catchTag("SqlError", (error) =>
      batch.length === 1
        ? recordUnstorable(pipeline, runId, batch[0]!, selected, attempt, error)
        : isDataError(error)
          ? Effect.reduce(batch, 0, (stored, company) =>
              commitBatch(pipeline, runId, [company], selected, attempt).pipe(
                Effect.catchTag("SqlError", (e) => recordUnstorable(pipeline, runId, company, selected, attempt, e)),
                Effect.map((n) => stored + n)
              )
            )
          : Effect.fail(error)
    ),
    Effect.withSpan("pipeline.commit", { attributes: { size: batch.length } })
  )
