import type { SqlError } from "@effect/sql/SqlError"
import { Cause, Chunk, Deferred, Effect, Fiber, Schedule, Stream } from "effect"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { Rejection } from "../stages/clean/cleanRow.js"
import type { IngestReport } from "../stages/clean/IngestReport.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { makeEventLoopTurns } from "../stages/scrape/makeEventLoopTurns.js"
import { perCompanyStageNames, type Pipeline, readInput } from "./definePipeline.js"
import type { PipelineOptions } from "./PipelineOptions.js"
import { type ProgressMode, runProgressDisplay } from "./ProgressDisplay.js"
import { RunStore } from "./RunStore.js"
import { type RunSummary, summaryDocument } from "./RunSummary.js"
import { StageCounters } from "./StageCounters.js"

/** Rejections read while the previous batch is still being inserted before reading waits for it. */
const REJECT_FLUSH_MAX = 2000
/** Fewer wait for more even when the writer is free: each INSERT has a cost of its own (a round trip, a commit). */
const REJECT_FLUSH_MIN = 250

export interface RunSessionArgs {
  readonly pipeline: Pipeline
  readonly runId: number
  readonly inputPath: string
  readonly options: PipelineOptions
  readonly stages: ReadonlySet<string>
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
    const { pipeline, runId, options, stages } = args
    const runs = yield* RunStore
    const rejectedRows = yield* RejectedRowsStore
    const started = Date.now()
    const counters = new StageCounters(pipeline.names)
    const companyStages = perCompanyStageNames(pipeline)
    const inputStages = pipeline.inputs.map((s) => s.name)
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
            // The run's own failure is what is reported; a database too far gone to record it adds nothing.
            .pipe(Effect.catchAllCause((cause) => Effect.logWarning("could not record the run's end", cause)))
    )
    const companyTotal = Math.min(args.validation.accepted, options.limit ?? Number.POSITIVE_INFINITY)
    for (const stage of inputStages) counters.start(stage, args.validation.read)
    for (const stage of companyStages) {
      if (stages.has(stage)) counters.start(stage, companyTotal)
    }
    const stageRows = () =>
      pipeline.names.map((stage) => {
        const c = counters.get(stage)
        return { ...c, stage, status: stages.has(stage) ? c.status : "skipped", finished: c.finishedAt !== null }
      })
    const writeStages = Effect.suspend(() => runs.upsertStages(runId, stageRows()))

    // Writes made while reading goes on, one at a time by a fiber of their own (the database works on the other
    // core), all on one warm connection (a new one costs a connect and a backend with cold caches): the first
    // stage rows, then the rejections, whatever has accumulated each time the writer is free. Batches grow when
    // the database is the slower side and stay small otherwise, so little is left once the input ends. A failed
    // write fails the run when it is awaited: at the next write or at the end of the input.
    const scope = yield* Effect.scope
    let inFlight: Fiber.RuntimeFiber<void, SqlError> | undefined
    let writing = false
    const awaitWrite = Effect.suspend(() => {
      const fiber = inFlight
      inFlight = undefined
      return fiber === undefined ? Effect.void : Fiber.join(fiber)
    })
    const writeMeanwhile = (write: Effect.Effect<void, SqlError>) =>
      Effect.zipRight(
        awaitWrite,
        Effect.suspend(() => {
          writing = true
          const done = Effect.sync(() => void (writing = false))
          return Effect.map(Effect.forkIn(Effect.ensuring(write, done), scope), (fiber) => (inFlight = fiber))
        })
      )
    // The rows say the stages are running; the heartbeat and the end rewrite them, after these.
    const firstStages = yield* writeMeanwhile(Effect.asVoid(writeStages))
    yield* Effect.logInfo("run started").pipe(
      Effect.annotateLogs({ event: "run.start", input: args.inputPath, resumed: args.resumed, stages: [...stages].join(",") })
    )
    const logStageFinish = (stage: string) => {
      const c = counters.get(stage)
      const counts = inputStages.includes(stage) && stage !== inputStages[0]
        ? { done: c.done, rejected: c.rejected, duplicates: c.duplicates }
        : { done: c.done, failed: c.failed, skipped: c.skipped }
      return Effect.logInfo(`${stage} ${c.status}`).pipe(
        Effect.annotateLogs({ event: "stage.finish", stage, status: c.status, total: c.total, ...counts })
      )
    }
    const selectedNames = pipeline.names.filter((s) => stages.has(s))
    yield* Effect.forEach(
      selectedNames,
      (stage) => Effect.logInfo(`${stage} started`).pipe(Effect.annotateLogs({ event: "stage.start", stage, total: counters.get(stage).total })),
      { discard: true }
    )

    yield* runProgressDisplay({
      mode: args.mode,
      counters,
      stages: selectedNames,
      intervalMs: args.progressIntervalMs ?? 5000
    })
    // A heartbeat that cannot be written is retried at the next beat; the final write below is not optional.
    // Each beat takes the counters as they are then.
    yield* Effect.forkScoped(
      Effect.zipRight(
        Fiber.await(firstStages),
        Effect.repeat(
          Effect.zipRight(writeStages, Effect.suspend(() => runs.heartbeat(runId, counters.snapshot()))).pipe(
            Effect.delay("2 seconds"),
            Effect.catchAllCause((cause) => Effect.logWarning("could not write the run's progress; trying again", cause))
          ),
          Schedule.forever
        )
      )
    )

    const newRun = !args.resumed
    let pendingRejections: Array<Rejection> = []
    const takePending = () => {
      const batch = pendingRejections
      pendingRejections = []
      return batch
    }
    const saveRejections = Effect.suspend(() => rejectedRows.saveBatch(runId, takePending(), { newRun }))
    const flushRejections = Effect.zipRight(awaitWrite, saveRejections)

    // Reading is CPU work in microtasks: without a turn of the event loop now and then, the insert's request is
    // not sent in full nor its answer read until the input ends.
    const io = makeEventLoopTurns()

    /** The writing pass over the input: rejections are recorded, accepted companies come out (up to --limit). */
    const companies = readInput(pipeline, { path: args.inputPath, delimiter: options.delimiter, columns: options.columns, limit: options.limit }, (stage, outcome) => {
      if (outcome) counters.add(stage.name, outcome)
    }).pipe(
      Stream.mapChunksEffect((chunk) =>
        Effect.gen(function* () {
          const accepted: Array<CleanCompany> = []
          for (const outcome of chunk) {
            if (outcome._tag === "Accepted") accepted.push(outcome.company)
            else pendingRejections.push(outcome.rejection)
          }
          const pending = pendingRejections.length
          if (pending >= REJECT_FLUSH_MAX || (pending >= REJECT_FLUSH_MIN && !writing)) yield* writeMeanwhile(saveRejections)
          if (writing) yield* io.turn
          return Chunk.unsafeFromArray(accepted)
        })
      ),
      // Halted between chunks rather than interrupted mid-pull: the same stop, without racing every pull against
      // the signal (a fifth of the reading's time).
      Stream.haltWhen(Deferred.await(args.shutdown)),
      Stream.concat(
        Stream.execute(
          Effect.gen(function* () {
            yield* flushRejections
            for (const stage of inputStages) counters.finish(stage, "succeeded")
            yield* Effect.forEach(inputStages, logStageFinish, { discard: true })
          })
        )
      )
    )

    /** A company finished by an earlier pass of the run: counted as skipped by every stage. */
    const skipCompany = (company: CleanCompany) => {
      for (const stage of companyStages) {
        if (stages.has(stage)) counters.add(stage, "skipped")
      }
      return company
    }

    const finish = Effect.gen(function* () {
      yield* flushRejections
      const interrupted = yield* Deferred.isDone(args.shutdown)
      for (const stage of inputStages) {
        if (counters.get(stage).finishedAt === null) counters.finish(stage, interrupted ? "interrupted" : "succeeded")
      }
      for (const stage of companyStages) {
        if (stages.has(stage)) counters.finish(stage, interrupted ? "interrupted" : "succeeded")
      }
      yield* Effect.forEach(companyStages.filter((s) => stages.has(s)), logStageFinish, { discard: true })
      yield* Fiber.join(firstStages)
      const status = interrupted ? "interrupted" : "succeeded"
      const { failures, tokens } = yield* runs.complete(
        runId,
        status,
        counters.snapshot(),
        interrupted ? "interrupted by signal" : null,
        stageRows()
      )
      const summary: RunSummary = {
        _tag: "Completed",
        runId,
        status,
        stages: counters.snapshot(),
        validation: args.validation,
        stored: counters.get(pipeline.sink?.name ?? "")?.done ?? null,
        failures,
        tokens,
        seconds: (Date.now() - started) / 1000
      }
      yield* Effect.logInfo("run finished").pipe(Effect.annotateLogs({ event: "run.finish", ...summaryDocument(summary) }))
      return summary
    })

    return { counters, companies, skipCompany, finish } as const
  })
