import { Cause, Chunk, Deferred, Effect, Schedule, Stream } from "effect"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { Rejection } from "../stages/clean/cleanRow.js"
import { cleanStream } from "../stages/clean/cleanStream.js"
import type { IngestReport } from "../stages/clean/IngestReport.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { loadCsv } from "../stages/load/loadCsv.js"
import type { PipelineOptions } from "./PipelineOptions.js"
import { type ProgressMode, runProgressDisplay } from "./ProgressDisplay.js"
import { RunStore } from "./RunStore.js"
import type { RunSummary } from "./RunSummary.js"
import { StageCounters } from "./StageCounters.js"
import { type StageName, stageNames } from "./StageName.js"

const REJECT_FLUSH_SIZE = 500
const perCompanyStages = ["scrape", "merge", "enrich", "persist"] as const

export interface RunSessionArgs {
  readonly runId: number
  readonly inputPath: string
  readonly options: PipelineOptions
  readonly stages: ReadonlySet<StageName>
  readonly validation: IngestReport
  readonly resumed: boolean
  readonly mode: ProgressMode
  readonly shutdown: Deferred.Deferred<void>
  readonly progressIntervalMs?: number | undefined
}

/**
 * What every executor of a run shares: per-stage counters written to run_stages with a heartbeat, the
 * progress display, the run marked failed/interrupted if the executor does not finish, and the writing pass
 * over the input (rejections recorded, accepted companies streamed). Lives in the caller's Scope.
 */
export const openRunSession = (args: RunSessionArgs) =>
  Effect.gen(function* () {
    const { runId, options, stages } = args
    const runs = yield* RunStore
    const rejectedRows = yield* RejectedRowsStore
    const started = Date.now()
    const counters = new StageCounters(stageNames)
    yield* Effect.addFinalizer((exit) =>
      exit._tag === "Success"
        ? Effect.void
        : runs
            .finish(
              runId,
              Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failed",
              counters.snapshot(),
              Cause.isInterruptedOnly(exit.cause) ? "interrupted" : Cause.pretty(exit.cause).slice(0, 2000)
            )
            .pipe(Effect.ignore)
    )
    const companyTotal = Math.min(args.validation.accepted, options.limit ?? Number.POSITIVE_INFINITY)
    counters.start("load", args.validation.read)
    counters.start("clean", args.validation.read)
    for (const stage of perCompanyStages) {
      if (stages.has(stage)) counters.start(stage, companyTotal)
    }
    const writeStages = Effect.forEach(
      stageNames,
      (stage) => {
        const c = counters.get(stage)
        return runs.upsertStage(runId, stage, { ...c, status: stages.has(stage) ? c.status : "skipped", finished: c.finishedAt !== null })
      },
      { discard: true }
    )
    yield* writeStages
    yield* Effect.logInfo("run started").pipe(
      Effect.annotateLogs({ event: "run.start", input: args.inputPath, resumed: args.resumed, stages: [...stages].join(",") })
    )
    const logStageFinish = (stage: StageName) => {
      const c = counters.get(stage)
      return Effect.logInfo(`${stage} ${c.status}`).pipe(
        Effect.annotateLogs({ event: "stage.finish", stage, status: c.status, total: c.total, done: c.done, failed: c.failed, skipped: c.skipped })
      )
    }
    yield* Effect.forEach(
      stageNames.filter((s) => stages.has(s)),
      (stage) => Effect.logInfo(`${stage} started`).pipe(Effect.annotateLogs({ event: "stage.start", stage, total: counters.get(stage).total })),
      { discard: true }
    )

    yield* runProgressDisplay({
      mode: args.mode,
      counters,
      stages: stageNames.filter((s) => stages.has(s)),
      intervalMs: args.progressIntervalMs ?? 5000
    })
    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.zipRight(writeStages, runs.heartbeat(runId, counters.snapshot())).pipe(Effect.delay("2 seconds"), Effect.ignore),
        Schedule.forever
      )
    )

    let pendingRejections: Array<Rejection> = []
    const flushRejections = Effect.suspend(() => {
      const batch = pendingRejections
      pendingRejections = []
      return rejectedRows.saveBatch(runId, batch)
    })

    /** The writing pass over the input: rejections are recorded, accepted companies come out (up to --limit). */
    const companies = cleanStream(loadCsv(args.inputPath, { delimiter: options.delimiter, columns: options.columns })).pipe(
      Stream.mapChunksEffect((chunk) =>
        Effect.gen(function* () {
          const accepted: Array<CleanCompany> = []
          for (const outcome of chunk) {
            counters.add("load", "done")
            if (outcome._tag === "Accepted") {
              counters.add("clean", "done")
              accepted.push(outcome.company)
            } else {
              counters.add("clean", "failed")
              pendingRejections.push(outcome.rejection)
            }
          }
          if (pendingRejections.length >= REJECT_FLUSH_SIZE) yield* flushRejections
          return Chunk.unsafeFromArray(accepted)
        })
      ),
      options.limit === undefined ? (s) => s : Stream.take(options.limit),
      Stream.interruptWhen(Deferred.await(args.shutdown)),
      Stream.ensuring(
        Effect.suspend(() => {
          counters.finish("load", "succeeded")
          counters.finish("clean", "succeeded")
          return Effect.zipRight(flushRejections.pipe(Effect.ignore), Effect.forEach(["load", "clean"] as const, logStageFinish, { discard: true }))
        })
      )
    )

    /** A company finished by an earlier pass of the run: counted as skipped by every stage. */
    const skipCompany = (company: CleanCompany) => {
      for (const stage of perCompanyStages) {
        if (stages.has(stage)) counters.add(stage, "skipped")
      }
      return company
    }

    const finish = Effect.gen(function* () {
      const interrupted = yield* Deferred.isDone(args.shutdown)
      for (const stage of perCompanyStages) {
        if (stages.has(stage)) counters.finish(stage, interrupted ? "interrupted" : "succeeded")
      }
      yield* Effect.forEach(perCompanyStages.filter((s) => stages.has(s)), logStageFinish, { discard: true })
      yield* writeStages
      const failures = yield* runs.failuresByKind(runId)
      const tokens = yield* runs.tokens(runId)
      const status = interrupted ? "interrupted" : "succeeded"
      yield* runs.finish(runId, status, counters.snapshot(), interrupted ? "interrupted by signal" : null)
      const summary: RunSummary = {
        _tag: "Completed",
        runId,
        status,
        stages: counters.snapshot(),
        validation: args.validation,
        failures,
        tokens,
        seconds: (Date.now() - started) / 1000
      }
      yield* Effect.logInfo("run finished").pipe(
        Effect.annotateLogs({ event: "run.finish", status, seconds: summary.seconds, tokens_in: tokens.input, tokens_out: tokens.output })
      )
      return summary
    })

    return { counters, companies, skipCompany, finish } as const
  })
